// Every wiki tool through the official MCP SDK client: results, and the tool errors an assistant
// recovers from (conflict, not found, size limits, bad paths), and permissions per role.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { CAROL_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { connectMcp, connectToWiki, toolText, wikiTokenFor, type McpSession } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

describe('wiki tools over MCP', () => {
  let fixture: WikiFixture;
  let wiki: Wiki;
  let carol: McpSession;

  before(async () => {
    fixture = await startWikiFixture({ PAGE_MAX_BYTES: '4096', WIKI_MAX_BYTES: '16384' });
    wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
    carol = await connectToWiki(fixture, wiki, CAROL_DID);
  });
  after(async () => {
    await carol?.close();
    await fixture?.close();
  });

  const failure = async (session: McpSession, name: string, args: Record<string, unknown>) => {
    const result = await session.call(name, args);
    assert.equal(result.isError, true, `${name} should have failed: ${toolText(result)}`);
    return toolText(result);
  };

  test('the tools describe their inputs for an assistant', async () => {
    const { tools } = await carol.client.listTools();
    const write = tools.find((tool) => tool.name === 'write_note')!;
    assert.match(write.description!, /base_revision/);
    assert.deepEqual(write.inputSchema.required, ['path', 'content']);
    assert.ok((write.inputSchema.properties as Record<string, { description?: string }>).base_revision!.description);
    assert.equal(tools.find((tool) => tool.name === 'read_note')!.annotations?.readOnlyHint, true);
  });

  test('write_note creates, read_note reads, and a replace needs the current base_revision', async () => {
    assert.deepEqual(
      await carol.json('write_note', { path: 'Projects/Robot Arm', content: '# Robot arm\nServo notes. See [[Parts]].', message: 'first notes' }),
      { path: 'Projects/Robot Arm', revision: 1, size: 39 },
    );
    const page = await carol.json('read_note', { path: 'Projects/Robot Arm' });
    assert.equal(page.content, '# Robot arm\nServo notes. See [[Parts]].');
    assert.equal(page.revision, 1);
    assert.equal(page.updated_by, CAROL_DID);
    assert.match(await failure(carol, 'write_note', { path: 'Projects/Robot Arm', content: 'blind' }), /already exists.*base_revision/);
    assert.equal((await carol.json('write_note', { path: 'Projects/Robot Arm', content: '# Robot arm v2', base_revision: 1 })).revision, 2);
    const conflict = await failure(carol, 'write_note', { path: 'Projects/Robot Arm', content: 'stale', base_revision: 1 });
    assert.match(conflict, /revision 2.*based on revision 1.*Nothing was saved/);
    assert.equal((await carol.json('read_note', { path: 'Projects/Robot Arm' })).content, '# Robot arm v2');
    assert.equal((await carol.json('read_note', { path: 'Projects/Robot Arm', revision: 1 })).content, '# Robot arm\nServo notes. See [[Parts]].');
    assert.match(await failure(carol, 'read_note', { path: 'Nope' }), /There is no page "Nope"/);
    assert.match(await failure(carol, 'read_note', { path: 'Projects/Robot Arm', revision: 9 }), /no revision 9/);
    assert.match(await failure(carol, 'write_note', { path: 'Nope', content: 'x', base_revision: 3 }), /Omit base_revision to create it/);
  });

  test('edit_note changes one exact passage and refuses ambiguous or missing text', async () => {
    await carol.json('write_note', { path: 'Todo', content: '- [ ] buy servos\n- [ ] buy screws\n- [ ] buy servos' });
    assert.match(await failure(carol, 'edit_note', { path: 'Todo', old_string: 'buy servos', new_string: 'x' }), /more than once/);
    assert.match(await failure(carol, 'edit_note', { path: 'Todo', old_string: 'buy nuts', new_string: 'x' }), /does not occur/);
    assert.match(
      await failure(carol, 'edit_note', { path: 'Todo', old_string: '- [ ] buy screws', new_string: '- [x] buy screws', base_revision: 5 }),
      /based on revision 5/,
    );
    assert.equal(
      (await carol.json('edit_note', { path: 'Todo', old_string: '- [ ] buy screws', new_string: '- [x] buy screws', message: 'bought' })).revision,
      2,
    );
    assert.equal((await carol.json('read_note', { path: 'Todo' })).content, '- [ ] buy servos\n- [x] buy screws\n- [ ] buy servos');
  });

  test('list_notes, search_notes, get_links, find_orphaned_notes', async () => {
    await carol.json('write_note', { path: 'Parts', content: 'Servos and brackets for the [[Projects/Robot Arm]].' });
    const listed = await carol.json('list_notes', { prefix: 'Projects/' });
    assert.deepEqual(
      listed.pages.map((p: { path: string }) => p.path),
      ['Projects/Robot Arm'],
    );
    assert.equal((await carol.json('list_notes', { updated_since: '2000-01-01T00:00:00Z' })).pages.length >= 3, true);
    assert.equal((await carol.json('list_notes', { updated_since: '2999-01-01T00:00:00Z' })).pages.length, 0);
    assert.ok((await carol.call('list_notes', { updated_since: 'yesterday' })).isError);
    const search = await carol.json('search_notes', { query: 'bracket' });
    assert.deepEqual(
      search.results.map((r: { path: string }) => r.path),
      ['Parts'],
    );
    assert.match(search.results[0].snippet, /«brackets»/);
    const links = await carol.json('get_links', { path: 'Parts' });
    assert.deepEqual(links, { outgoing: [{ path: 'Projects/Robot Arm', exists: true }], backlinks: [] });
    const orphans = (await carol.json('find_orphaned_notes')).orphans;
    assert.ok(orphans.includes('Parts') && orphans.includes('Todo'));
    assert.ok(!orphans.includes('Projects/Robot Arm'));
  });

  test('WK-01: [[links]] in code are text: not in get_links, shown as code in the web view', async () => {
    await carol.json('write_note', { path: 'Code/Target', content: 'linked from Code/Snippets' });
    const content = ['Use [[Code/Target]]. Inline `[[Inline]]`.', '', '```\n[[Fenced]]\n```', '', '~~~\n[[Tilde]]\n~~~', '', '    [[Indented]]', ''].join('\n');
    await carol.json('write_note', { path: 'Code/Snippets', content });
    const links = await carol.json('get_links', { path: 'Code/Snippets' });
    assert.deepEqual(links, { outgoing: [{ path: 'Code/Target', exists: true }], backlinks: [] });
    assert.deepEqual((await carol.json('get_links', { path: 'Code/Target' })).backlinks, ['Code/Snippets']);

    const view = await fixture.carol.request(`${fixture.issuer}/pages/Code/Snippets`);
    assert.equal(view.status, 200);
    const html = await view.text();
    assert.match(html, /<a href="[^"]*\/w\/notes\/pages\/Code\/Target">Code\/Target<\/a>/);
    assert.match(html, /<code>\[\[Inline\]\]<\/code>/);
    for (const name of ['Fenced', 'Tilde', 'Indented']) {
      assert.match(html, new RegExp(`<pre><code>\\[\\[${name}\\]\\]\\n</code></pre>`), name);
      assert.doesNotMatch(html, new RegExp(`/pages/${name}"`), name);
    }
  });

  test('get_history, get_recent_changes, rename_note and delete_note keep the record', async () => {
    await carol.json('rename_note', { path: 'Todo', new_path: 'Archive/Todo', message: 'done' });
    assert.match(await failure(carol, 'rename_note', { path: 'Archive/Todo', new_path: 'Parts' }), /already exists/);
    await carol.json('delete_note', { path: 'Archive/Todo', message: 'no longer needed' });
    const history = await carol.json('get_history', { path: 'Archive/Todo' });
    assert.deepEqual(
      history.revisions.map((r: { action: string; message: string | null }) => [r.action, r.message]),
      [
        ['delete', 'no longer needed'],
        ['rename', 'done'],
        ['edit', 'bought'],
        ['create', null],
      ],
    );
    const recent = await carol.json('get_recent_changes', { limit: 2 });
    assert.deepEqual(
      recent.changes.map((c: { path: string; action: string }) => [c.path, c.action]),
      [
        ['Archive/Todo', 'delete'],
        ['Archive/Todo', 'rename'],
      ],
    );
    assert.match(await failure(carol, 'get_history', { path: 'Never existed' }), /never was/);
    assert.match(await failure(carol, 'delete_note', { path: 'Archive/Todo' }), /There is no page/);
  });

  test('bad paths and size limits are clear tool errors that save nothing', async () => {
    assert.match(await failure(carol, 'write_note', { path: '/leading', content: 'x' }), /no empty part/);
    assert.match(await failure(carol, 'write_note', { path: 'a/../b', content: 'x' }), /"\.\."/);
    assert.match(await failure(carol, 'write_note', { path: 'Big', content: 'x'.repeat(5000) }), /at most 4 KiB.*Nothing was saved/);
    let full = '';
    for (let i = 0; i < 6 && !full; i++) {
      const result = await carol.call('write_note', { path: `Filler ${i}`, content: 'y'.repeat(4000) });
      if (result.isError) full = toolText(result);
    }
    assert.match(full, /limit.*Nothing was saved/);
    // Input the schema refuses is an error too, not a crash.
    assert.ok((await carol.call('search_notes', { query: '' })).isError);
  });

  test('permissions: a read collaborator reads but cannot write; a bearer token works without OAuth; changes apply at once', async () => {
    const { deps } = fixture.platform.platform;
    await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'read' }, deps.now());
    const reader = await connectToWiki(fixture, wiki, VICTIM_DID, 'wiki:read');
    try {
      assert.equal((await reader.json('read_note', { path: 'Parts' })).path, 'Parts');
      await assert.rejects(reader.call('write_note', { path: 'Reader was here', content: 'x' }), /403|insufficient_scope/);
    } finally {
      await reader.close();
    }
    const scriptToken = await wikiTokenFor(fixture.platform.platform, wiki, CAROL_DID, 'wiki:read wiki:write');
    const script = await connectMcp(fixture.platform.platform.app, `${fixture.issuer}/mcp`, scriptToken);
    try {
      assert.equal((await script.json('write_note', { path: 'From a script', content: 'hello' })).revision, 1);
      const [token] = await deps.wikiTokens.listForWiki(wiki.id);
      assert.ok(token!.last_used_at);
      await deps.wikiTokens.revoke(wiki.id, token!.id);
      await assert.rejects(script.call('list_notes', {}), /401|invalid_token|Unauthorized/);
    } finally {
      await script.close();
    }
  });
});
