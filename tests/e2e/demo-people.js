// The people both end-to-end suites (Chromium: demo.e2e.test.js, WebKitGTK:
// tests/webkit/demo.webkit.test.js) add to the demo, unique per run, and the
// control: an address stored in a plain field and shaped like the emails.
// The on-disk scan must find the control (if an engine compressed its files
// it would vanish too, and the test would fail instead of passing blind),
// and must find none of the encrypted emails and phones.
export const run = Math.random().toString(36).slice(2, 8);
export const people = [
  ['Ada', `ada.${run}@example.com`, '+44 20 7946 0001'],
  ['Grace', `grace.${run}@example.org`, '+1 555 0102'],
  ['Linus', `linus.${run}@example.net`, '+358 40 123 4567'],
];
export const canary = `plain.${run}@example.com`;
