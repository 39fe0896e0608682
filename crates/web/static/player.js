// Reports the segments of the lesson actually played. Playback is cut into
// segments at every pause, seek or jump; every 15 seconds, and when the
// page is hidden, the segments are sent and the progress line is updated.
(function () {
  var v = document.getElementById('player');
  if (!v) return;
  var lesson = Number(v.dataset.lesson), csrf = v.dataset.csrf;
  var text = document.getElementById('progress-text');
  // Opened again, the lesson goes on where it stopped: the last position
  // this phone saw, or else where the server's record of playback ends.
  var key = 'tongyu.position.' + lesson;
  var saved = 0;
  try { saved = Number(window.localStorage.getItem(key)) || 0; } catch (e) { saved = 0; }
  var resume = saved || Number(v.dataset.resume) || 0;
  v.addEventListener('loadedmetadata', function () {
    if (resume > 0 && (!v.duration || resume < v.duration - 10)) v.currentTime = resume;
  });
  var lastSaved = 0;
  function remember() {
    var t = Math.floor(v.currentTime);
    if (t === lastSaved) return;
    lastSaved = t;
    try {
      if (v.duration && t >= v.duration - 10) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, String(t));
    } catch (e) { /* private mode: the server's record still resumes */ }
  }
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
  v.addEventListener('pause', function () { close(); remember(); send(); });
  setInterval(function () { if (!v.paused) remember(); }, 5000);
  v.addEventListener('ended', function () { close(); remember(); send(); });
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
