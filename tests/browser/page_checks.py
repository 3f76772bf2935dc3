"""Checks computed in the page itself, on what the browser actually rendered."""

# Every visible form control under `root` (a selector or an element) with the name assistive
# technology would announce: aria-labelledby, aria-label, its <label>s (for= or wrapping), a
# button's text (including visually hidden text), a submit input's value, then title. A
# placeholder is not a label.
CONTROL_NAMES_JS = """
(root) => {
  const scope = typeof root === 'string' ? document.querySelector(root) : root;
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden' && box.width > 0
      && box.height > 0;
  };
  const squash = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const nameOf = (el) => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) {
      const text = squash(labelledBy.split(/\\s+/).map((id) => document.getElementById(id))
        .filter(Boolean).map((e) => e.textContent).join(' '));
      if (text) return text;
    }
    const aria = squash(el.getAttribute('aria-label'));
    if (aria) return aria;
    if (el.labels && el.labels.length) {
      const text = squash([...el.labels].map((l) => l.textContent).join(' '));
      if (text) return text;
    }
    if (el.tagName === 'BUTTON') {
      const text = squash(el.textContent);
      if (text) return text;
    }
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type)) {
      const text = squash(el.value);
      if (text) return text;
    }
    if (el.tagName === 'INPUT' && el.type === 'image') {
      const text = squash(el.alt);
      if (text) return text;
    }
    return squash(el.getAttribute('title'));
  };
  return [...scope.querySelectorAll('select, input, button, textarea')]
    .filter((el) => el.type !== 'hidden' && visible(el))
    .map((el) => ({
      control: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.name ? '[name=' + el.name + ']' : '') + (el.type ? '[type=' + el.type + ']' : ''),
      name: nameOf(el),
    }));
}
"""

# The WCAG 2 contrast ratio of every visible piece of text under `root` (elements with text
# of their own) against the background actually behind it: the ancestors' background colours
# composited over the white canvas. Large text (>= 24px, or >= 18.66px bold) needs 3:1, the
# rest 4.5:1. Text over a background image cannot be judged and is reported as such.
CONTRAST_JS = """
([root, selector]) => {
  const parse = (value) => {
    const m = value.match(/^rgba?\\(([^)]+)\\)$/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const channel = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g)
    + 0.0722 * channel(c.b);
  const hex = (c) => '#' + [c.r, c.g, c.b]
    .map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== 'none') return { image: true };
      const colour = parse(style.backgroundColor);
      if (colour === null) return { unparsed: style.backgroundColor };
      if (colour.a > 0) layers.push(colour);
      if (colour.a === 1) break;
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };  // the canvas
    for (const layer of layers.reverse()) result = over(layer, result);
    return { colour: result };
  };
  const ownText = (el) => [...el.childNodes]
    .filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
  const scope = document.querySelector(root);
  if (!scope) return { error: 'no element matches ' + root };
  const results = [];
  for (const el of scope.querySelectorAll(selector)) {
    const text = ownText(el);
    if (!text) continue;
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0
        || box.height === 0 || Number(style.opacity) === 0) continue;
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const required = large ? 3 : 4.5;
    const where = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    const bg = background(el);
    const fg = parse(style.color);
    if (!bg.colour || fg === null) {
      results.push({ where, text: text.slice(0, 60), judged: false,
        why: bg.image ? 'background image' : 'colour not rgb(): '
          + (bg.unparsed || style.color) });
      continue;
    }
    const front = over(fg, bg.colour);
    const [light, dark] = [luminance(front), luminance(bg.colour)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    results.push({ where, text: text.slice(0, 60), judged: true, colour: hex(front),
      background: hex(bg.colour), ratio: Math.round(ratio * 100) / 100, required, large });
  }
  return { results };
}
"""

# What a person would have to scroll sideways for, and where each chart sits.
LAYOUT_JS = """
() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  widest: [...document.querySelectorAll('body *')]
    .map((el) => ({ el, right: el.getBoundingClientRect().right }))
    .filter((x) => x.right > window.innerWidth + 0.5)
    .slice(0, 5)
    .map((x) => x.el.tagName.toLowerCase() + (x.el.id ? '#' + x.el.id : '')
      + (typeof x.el.className === 'string' && x.el.className
        ? '.' + x.el.className.trim().split(/\\s+/).join('.') : '') + ' right=' + x.right),
})
"""
