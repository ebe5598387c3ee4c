/** The tutorials' echo port; both echo servers default to it (run one at a time, or pass --port). */
export const ECHO_DEFAULT_PORT = 5678;
