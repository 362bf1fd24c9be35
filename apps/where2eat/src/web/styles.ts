/** The web UI's one stylesheet, served from `/assets/app.css` (no inline styles: the CSP allows `'self'` only). */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #555; --line: #d0d0d7; --accent: #0b57d0; --bad: #a50e0e; --good: #0d652d; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; background: #fafafc; }
header { display: flex; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; color: var(--ink); text-decoration: none; font-size: 1.15rem; }
header form { margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
a { color: var(--accent); }
section, .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input[type=text], input[type=url] { width: 100%; max-width: 28rem; padding: .5rem .6rem; font: inherit; border: 1px solid #8a8a93; border-radius: 6px; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; margin-top: .5rem; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.choice { text-align: center; width: 6.5rem; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { padding: .4rem 0; border-bottom: 1px solid var(--line); display: flex; justify-content: space-between; gap: 1rem; align-items: center; flex-wrap: wrap; }
.muted { color: var(--muted); }
.pick { font-size: 1.5rem; font-weight: 700; color: var(--good); margin: .25rem 0; }
.notice { border-left: 4px solid var(--accent); background: #eef3fd; padding: .75rem 1rem; border-radius: 4px; }
.error { border-left: 4px solid var(--bad); background: #fdeeee; padding: .75rem 1rem; border-radius: 4px; }
.inline { display: inline; }
`;
