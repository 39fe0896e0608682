// Reports the segments of the lesson actually played. Playback is cut into
// segments at every pause, seek or jump; every 15 seconds, and when the
// page is hidden, the segments are sent and the progress line is updated.
(function () {
  var v = document.getElementById('player');
  if (!v) return;
  var lesson = Number(v.dataset.lesson), csrf = v.dataset.csrf;
  var text = document.getElementById('progress-text');
  var start = null, last = 0, pending = [];
  function close() {
    if (start !== null && last > start) pending.push([start, last]);
    start = null;
  }
  v.addEventListener('timeupdate', function () {
    var t = v.currentTime;
    if (v.paused) return;
    if (start === null) { start = t; }
    else if (t < last || t - last > 2) { close(); start = t; }
    last = t;
  });
  v.addEventListener('pause', function () { close(); send(); });
  v.addEventListener('ended', function () { close(); send(); });
  v.addEventListener('seeking', close);
  function send() {
    if (start !== null) { var s = start; close(); start = v.paused ? null : s === last ? null : last; }
    if (!pending.length) return;
    var sent = pending;
    var body = JSON.stringify({ lesson_id: lesson, segments: sent });
    pending = [];
    // While the server restarts (503) or the network is gone, the segments
    // wait and go with the next report; nothing watched is lost.
    function keep() { pending = sent.concat(pending); }
    fetch('/api/v1/progress', {
      method: 'POST', credentials: 'same-origin', keepalive: true,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body
    }).then(function (r) {
      if (r.status === 503 || r.status === 502 || r.status === 504) { keep(); return null; }
      return r.json();
    }).then(function (p) {
      if (p && p.duration_s) {
        var pct = Math.floor(100 * p.covered_s / p.duration_s);
        text.textContent = '已看 ' + pct + '%' + (p.completed ? '，已完成' : '') + '（按实际播放计算，跳过的部分不计）';
      }
    }).catch(keep);
  }
  setInterval(send, 15000);
  document.addEventListener('visibilitychange', function () { if (document.hidden) send(); });
})();
