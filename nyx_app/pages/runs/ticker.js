// Counts on the elapsed time of what is running, once a second, between the server's updates.
// An element with data-elapsed="12.3" shows 12.3 s from when that value arrived; "" stops it (the
// server's own text then stays). It writes the text node React owns, so React's next update of that
// text still lands. Installed once per tab.
(() => {
  if (window.nyxTicker) return;
  const seen = new WeakMap();
  const fmt = (s) => {
    if (s < 60) return s.toFixed(1) + ' s';
    const whole = Math.round(s);
    const minutes = Math.floor(whole / 60);
    if (minutes < 60) return minutes + ' min ' + (whole % 60) + ' s';
    return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  };
  const tick = () => {
    const now = performance.now();
    document.querySelectorAll('[data-elapsed]').forEach((el) => {
      const value = el.getAttribute('data-elapsed');
      const node = el.firstChild;
      if (!value || !node || node.nodeType !== Node.TEXT_NODE) return;
      let base = seen.get(el);
      if (!base || base.value !== value) {
        base = { value, at: now };
        seen.set(el, base);
      }
      node.nodeValue = fmt(parseFloat(value) + (now - base.at) / 1000);
    });
  };
  window.nyxTicker = setInterval(tick, 1000);
})();
