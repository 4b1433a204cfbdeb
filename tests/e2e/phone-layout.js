// The phone-layout check shared by the browser suites (Chromium through
// playwright-core, WebKit through WebDriver): one function that runs in the
// page and returns what is wrong, as sentences, or [] when the page fits.
//
// It is self-contained (no imports, no closure) so either driver can ship it
// as text: page.evaluate(phoneLayoutProblems, options) in playwright,
// session.run(phoneLayoutProblems, [options]) with tests/browser/webdriver.mjs,
// or PHONE_LAYOUT_SCRIPT with [options] through any WebDriver's execute/sync
// (it is synchronous, so a plain execute/sync returns its answer).
//
// What it checks, at the current viewport:
// - nothing scrolls sideways: the document is no wider than the viewport, and
//   no element sticks out of the viewport or out of the box that holds it
//   (outside a scroll container);
// - every control (button, input, select, textarea, link) that is displayed
//   is a touch target of at least 44 × 44 CSS px (a checkbox or radio button
//   counts with its label), lies wholly inside the viewport once scrolled
//   to, is what a tap at its centre reaches, and overlaps no other control.
//
// The viewport is the smallest of innerWidth, the root's clientWidth and the
// visual viewport: with mobile emulation (playwright's isMobile) Chromium
// widens innerWidth to the content when the page overflows, so innerWidth
// alone would hide the overflow it is meant to catch.

/**
 * The phone viewports both suites check, in CSS px: a small Android phone,
 * an iPhone (the README's screenshot), a large iPhone.
 */
export const PHONES = Object.freeze([
  Object.freeze({ width: 360, height: 780 }),
  Object.freeze({ width: 390, height: 844 }),
  Object.freeze({ width: 430, height: 932 }),
]);

/**
 * @param {{ minTarget?: number, width?: number }} [options] minTarget: the
 *   smallest touch target side in CSS px (default 44, Apple's HIG and WCAG
 *   2.5.5); width: the viewport width the driver set, if known.
 * @returns {string[]} problems, each naming the element
 */
export function phoneLayoutProblems(options = {}) {
  const minTarget = options.minTarget ?? 44;
  const root = /** @type {HTMLElement} */ (document.scrollingElement ?? document.documentElement);
  const viewWidth = Math.min(
    innerWidth,
    document.documentElement.clientWidth,
    globalThis.visualViewport?.width ?? Infinity,
    options.width ?? Infinity,
  );
  const viewHeight = Math.min(innerHeight, globalThis.visualViewport?.height ?? Infinity);
  const slack = 0.5; // sub-pixel layout
  /** @type {string[]} */
  const problems = [];

  /** @param {Element} el */
  const describe = (el) => {
    if (el.id) return `#${el.id}`;
    const label = (el.getAttribute('aria-label') ?? el.getAttribute('placeholder') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}${label ? ` "${label}"` : ''}`;
  };
  /** @param {Element} el */
  const displayed = (el) => {
    if (el.getClientRects().length === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.visibility !== 'collapse' && Number(style.opacity) > 0;
  };
  /** @param {Element} el whether el sits inside a box that scrolls or clips sideways */
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body && p !== document.documentElement; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };

  const startX = scrollX;
  const startY = scrollY;
  try {
    if (root.scrollWidth > viewWidth + slack) {
      problems.push(`the document is ${root.scrollWidth} px wide in a ${viewWidth} px viewport: it scrolls sideways`);
    }

    // Elements out of the viewport, or out of their container, sideways
    // (the outermost only: what it holds goes with it).
    scrollTo(0, scrollY);
    /** @type {Element[]} */
    const outside = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (outside.some((o) => o.contains(el)) || !displayed(el) || inScroller(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < -slack || r.right > viewWidth + slack) {
        problems.push(`${describe(el)} spans x ${Math.round(r.left)}–${Math.round(r.right)}, outside the ${viewWidth} px viewport`);
        outside.push(el);
        continue;
      }
      const parent = el.parentElement;
      if (!parent || parent === document.body || getComputedStyle(el).position === 'fixed') continue;
      const p = parent.getBoundingClientRect();
      if (r.left < p.left - slack || r.right > p.right + slack) {
        problems.push(`${describe(el)} (x ${Math.round(r.left)}–${Math.round(r.right)}) sticks out of ${describe(parent)} (x ${Math.round(p.left)}–${Math.round(p.right)})`);
        outside.push(el);
      }
    }

    // Controls: size, reachable, on top, apart.
    /** @type {{ name: string, box: { left: number, top: number, right: number, bottom: number } }[]} */
    const targets = [];
    const controls = document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a[href], [role=button]');
    for (const control of controls) {
      if (!displayed(control)) continue;
      const name = describe(control);
      const label = control.closest('label');
      // A checkbox or radio button is tapped through its label.
      const target = label && /^(checkbox|radio)$/.test(/** @type {HTMLInputElement} */ (control).type ?? '') ? label : control;
      target.scrollIntoView({ block: 'center', inline: 'center' });
      const r = target.getBoundingClientRect();
      if (r.width < minTarget - slack || r.height < minTarget - slack) {
        problems.push(`${name}: a ${Math.round(r.width)} × ${Math.round(r.height)} px target, smaller than ${minTarget} × ${minTarget}`);
      }
      if (r.left < -slack || r.top < -slack || r.right > viewWidth + slack || r.bottom > viewHeight + slack) {
        problems.push(`${name}: not wholly in the ${viewWidth} × ${viewHeight} viewport when scrolled to (x ${Math.round(r.left)}–${Math.round(r.right)}, y ${Math.round(r.top)}–${Math.round(r.bottom)})`);
      } else {
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (!hit || !(target.contains(hit) || hit.contains(target))) {
          problems.push(`${name}: a tap at its centre reaches ${hit ? describe(hit) : 'nothing'}`);
        }
      }
      targets.push({ name, box: { left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY } });
    }
    for (let i = 0; i < targets.length; i++) {
      for (let j = i + 1; j < targets.length; j++) {
        const a = targets[i].box;
        const b = targets[j].box;
        const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (overlapX > slack && overlapY > slack) problems.push(`${targets[i].name} and ${targets[j].name} overlap`);
      }
    }
  } finally {
    scrollTo(startX, startY);
  }
  return problems;
}

/** phoneLayoutProblems as a WebDriver script: execute/sync with [options] as its arguments. */
export const PHONE_LAYOUT_SCRIPT = `return (${phoneLayoutProblems})(arguments[0]);`;
