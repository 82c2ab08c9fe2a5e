// Progressive enhancement for robot.wtf's pages, served by the app itself (the Content-Security-Policy
// allows no inline script and no other origin). Without it every page still works.

// Copy buttons (src/http/pages.tsx, CopyButton): shown only where the clipboard can be written.
function enableCopyButtons() {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Copy failed: select the text';
      }
      setTimeout(() => {
        button.textContent = label;
      }, 2000);
    });
  }
}

// A confirmation (`?done=…`, src/http/flash.ts) is said once: reloading or bookmarking the page
// must not say it again.
function forgetConfirmation() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('done')) return;
  url.searchParams.delete('done');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

enableCopyButtons();
forgetConfirmation();
