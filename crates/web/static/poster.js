// Turns a school's poster (the SVG the server draws) into a PNG in the
// browser, at A4 and 300 dpi, with the fonts of the device: the Chinese
// text is drawn by the same fonts that show the page. Buttons carry
// data-poster-svg (the SVG's address) and data-poster-name (the file name).
(function () {
  var WIDTH = 2480, HEIGHT = 3508;

  // The PNG of one poster, as a Blob.
  function posterPng(svgUrl) {
    return fetch(svgUrl, { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('海报读取失败（' + r.status + '）');
        return r.text();
      })
      .then(function (svg) {
        return new Promise(function (resolve, reject) {
          var url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
          var img = new Image();
          img.onload = function () {
            var canvas = document.createElement('canvas');
            canvas.width = WIDTH;
            canvas.height = HEIGHT;
            var g = canvas.getContext('2d');
            g.fillStyle = '#fff';
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.drawImage(img, 0, 0, WIDTH, HEIGHT);
            URL.revokeObjectURL(url);
            canvas.toBlob(function (png) {
              if (png) resolve(png); else reject(new Error('无法生成图片'));
            }, 'image/png');
          };
          img.onerror = function () {
            URL.revokeObjectURL(url);
            reject(new Error('海报无法显示'));
          };
          img.src = url;
        });
      });
  }
  window.tongyuPosterPng = posterPng;

  document.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('[data-poster-svg]') : null;
    if (!b) return;
    e.preventDefault();
    var label = b.textContent;
    b.disabled = true;
    b.textContent = '正在生成…';
    posterPng(b.dataset.posterSvg)
      .then(function (png) {
        var a = document.createElement('a');
        a.href = URL.createObjectURL(png);
        a.download = b.dataset.posterName || 'poster.png';
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        b.textContent = label;
      })
      .catch(function (err) {
        b.textContent = label;
        alert(err.message || '无法生成图片，请下载 SVG 后打印');
      })
      .then(function () { b.disabled = false; });
  });
})();
