// Drives the dev-env PDS's own sign-in and consent screens in Chromium.
import type { Page } from 'playwright-core';
import type { TestAccount } from './network.ts';

export type Decision = 'Authorize' | 'Deny access';

/** Signs in at the PDS when it asks (it remembers a device's session), then answers the consent screen. */
export async function answerAtPds(page: Page, account: TestAccount, decision: Decision): Promise<void> {
  const password = page.locator('input[name=password]');
  const decisionButton = page.getByRole('button', { name: decision, exact: true });
  await password.or(decisionButton).first().waitFor({ timeout: 30_000 });
  if (await password.isVisible()) {
    const username = page.locator('input[name=username]');
    if ((await username.inputValue()) === '') await username.fill(account.handle);
    await password.fill(account.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  await decisionButton.click({ timeout: 30_000 });
}
