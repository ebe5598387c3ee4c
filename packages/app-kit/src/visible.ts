/**
 * Text from a peer (another person, a server) is shown with control characters made visible
 * (U+241x pictures, \u escapes for C1 and line separators): a peer must not
 * be able to move the cursor, recolour or clear a terminal with escape
 * sequences, nor fake a line from someone else with an embedded newline.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
