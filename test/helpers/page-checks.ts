// What every page must pass in a real browser, at each width (issue 11, "Phones" and "Accessibility"):
// nothing scrolls sideways, axe-core finds no serious or critical violation, and every control a
// finger taps is at least 44 × 44 CSS pixels at phone widths (WCAG 2.5.5).
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
/** Evaluated through the DevTools protocol: our pages' CSP (script-src 'self') stays on while axe runs. */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The widths every page is checked at: two phones and a laptop. */
export const WIDTHS = [360, 390, 1280] as const;
/** Below this width the touch-target rule applies. */
const PHONE_WIDTH = 600;
const MIN_TARGET = 44;
const VIEWPORT_HEIGHT = 800;

/** Controls a finger taps: buttons and button-like links, fields, disclosure summaries, the header's links. */
const TAPPABLE = [
  'button',
  '[role=button]',
  'select',
  'textarea',
  'summary',
  'input:not([type=hidden]):not([type=checkbox]):not([type=radio])',
  '.site-header a',
].join(', ');

export interface PageProblem {
  width: number;
  problem: string;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Checks the page as it is now at each width (resizing, not reloading, so a page that is the answer to
 * a form keeps its state), and screenshots it at 360 and 1280 when `screenshot` names the file stem.
 */
export async function checkPageAtWidths(page: Page, screenshot?: string): Promise<PageProblem[]> {
  const problems: PageProblem[] = [];
  await page.evaluate(AXE_SOURCE);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: VIEWPORT_HEIGHT });
    const said = (problem: string) => problems.push({ width, problem });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > width) said(`scrolls sideways: ${scrollWidth} px wide${await widestElements(page, width)}`);
    for (const violation of await axeViolations(page)) {
      const where = violation.nodes.map((node) => node.target.join(' ')).join('; ');
      said(`axe ${violation.impact} ${violation.id}: ${violation.help} (${where})`);
    }
    if (width < PHONE_WIDTH) for (const small of await smallTargets(page)) said(`touch target under ${MIN_TARGET} px: ${small}`);
    if (screenshot && (width === 360 || width === 1280)) {
      mkdirSync(new URL('.', `file://${screenshot}`).pathname, { recursive: true });
      await page.screenshot({ path: `${screenshot}-${width}.png`, fullPage: true });
    }
  }
  return problems;
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const violations = await page.evaluate(async () => {
    // axe-core's global, evaluated above.
    const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } };
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** The visible controls smaller than a fingertip, described by tag and text. */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(
    ({ selector, min }) =>
      [...document.querySelectorAll<HTMLElement>(selector)]
        .filter((element) => element.offsetParent !== null || element.getClientRects().length > 0)
        .filter((element) => {
          const box = element.getBoundingClientRect();
          return box.width > 0 && (box.height < min || box.width < min);
        })
        .map((element) => {
          const box = element.getBoundingClientRect();
          const text = (element.textContent ?? '').trim().slice(0, 40) || element.getAttribute('name') || '';
          return `<${element.tagName.toLowerCase()}> "${text}" ${Math.round(box.width)}×${Math.round(box.height)}`;
        }),
    { selector: TAPPABLE, min: MIN_TARGET },
  );
}

/** For a page that scrolls sideways: the elements that stick out, so the failure says where to look. */
async function widestElements(page: Page, width: number): Promise<string> {
  const culprits = await page.evaluate(
    (limit) =>
      [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((element) => element.getBoundingClientRect().right > limit + 1)
        .filter((element) => ![...element.children].some((child) => child.getBoundingClientRect().right > limit + 1))
        .slice(0, 5)
        .map((element) => `<${element.tagName.toLowerCase()} class="${element.className}"> right=${Math.round(element.getBoundingClientRect().right)}`),
    width,
  );
  return culprits.length ? ` (${culprits.join(', ')})` : '';
}
