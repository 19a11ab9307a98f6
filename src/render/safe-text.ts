/**
 * Customer text made safe for a terminal, a CSV or a JSON consumer that prints it: a WhatsApp
 * message is written by anyone, and an escape sequence in it must not recolor, retitle or
 * rewrite the operator's screen. Removed: ANSI/ECMA-48 sequences (CSI `ESC [`, OSC `ESC ]` up to
 * BEL or ST, other two-byte ESC forms), C0 controls but tab and newlines, DEL, C1 controls
 * (U+0080–U+009F, including the one-byte CSI), and bidi overrides/isolates/marks that reorder
 * what is shown (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C). Emoji joiners stay.
 */
// eslint-disable-next-line no-control-regex
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
// eslint-disable-next-line no-control-regex
const CSI = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?/g;
// eslint-disable-next-line no-control-regex
const ESC_OTHER = /\u001b[ -~]?/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** CONTROL without the g flag: a test() that keeps no state between calls. */
const ANY_CONTROL = new RegExp(CONTROL.source);

export function stripControl(text: string): string {
  // Every sequence below starts with a character of this class: most text (every log line of the send path) has none.
  if (!ANY_CONTROL.test(text)) return text;
  return text.replace(OSC, "").replace(CSI, "").replace(ESC_OTHER, "").replace(CONTROL, "");
}

/** stripControl, then tabs and line breaks as single spaces: one table cell, one line. */
export function oneLine(text: string): string {
  return stripControl(text).replace(/[\t\r\n]+/g, " ").trim();
}
