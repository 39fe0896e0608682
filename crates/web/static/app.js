// The little behaviour pages need, kept out of the markup so that the
// Content-Security-Policy can forbid inline script:
// - a form with data-confirm asks before it is sent;
// - a control with data-autosubmit sends its form when it changes;
// - a link with data-back goes back a page (to a form, with what was typed);
// - a button with data-copy copies its text and says so (data-copied).
(function () {
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-copy]');
    if (!b || !navigator.clipboard) return;
    navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function () {
      b.textContent = b.getAttribute('data-copied') || '已复制';
    });
  });
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('[data-back]');
    if (a && window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var question = f.getAttribute && f.getAttribute('data-confirm');
    if (question && !window.confirm(question)) e.preventDefault();
  });
  document.addEventListener('change', function (e) {
    var c = e.target;
    if (c.hasAttribute && c.hasAttribute('data-autosubmit') && c.form) c.form.submit();
  });
})();
