// nsjudge's web page: Run (an interactive session over a WebSocket) and
// Submit (a submission whose verdicts arrive as Server-Sent Events).
// Protocols: docs/live.md. No framework, no build step.
'use strict';

const $ = (id) => document.getElementById(id);

const TEMPLATES = {
  python: 'name = input("What is your name? ")\nprint("Hello,", name)\n',
  c: '#include <stdio.h>\n\nint main(void)\n{\n    char name[100];\n    printf("What is your name? ");\n' +
     '    fflush(stdout); /* output to a pipe is buffered until flushed */\n' +
     '    if (scanf("%99s", name) == 1)\n        printf("Hello, %s\\n", name);\n    return 0;\n}\n',
  cpp: '#include <iostream>\n#include <string>\n\nint main()\n{\n    std::string name;\n' +
       '    std::cout << "What is your name? " << std::flush;\n    std::cin >> name;\n' +
       '    std::cout << "Hello, " << name << std::endl;\n}\n',
  java: 'import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n' +
        '        Scanner in = new Scanner(System.in);\n        System.out.print("What is your name? ");\n' +
        '        System.out.flush();\n        System.out.println("Hello, " + in.nextLine());\n    }\n}\n',
  javascript: 'const rl = require("readline").createInterface({ input: process.stdin });\n' +
              'process.stdout.write("What is your name? ");\nrl.once("line", (name) => {\n' +
              '  console.log("Hello, " + name);\n  rl.close();\n});\n',
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar name string\n\tfmt.Print("What is your name? ")\n' +
      '\tfmt.Scanln(&name)\n\tfmt.Println("Hello,", name)\n}\n',
};

// ---- the editor ----

const editor = $('editor');
let editorTouched = false;
let escapePressed = false;

editor.addEventListener('input', () => { editorTouched = true; });
editor.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { escapePressed = true; return; }
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    if (!session) startRun();
    return;
  }
  // Tab indents, unless Esc came just before: the keyboard can always leave.
  if (e.key === 'Tab' && !escapePressed && !e.shiftKey) {
    e.preventDefault();
    const s = editor.selectionStart;
    editor.setRangeText('    ', s, editor.selectionEnd, 'end');
    editorTouched = true;
  }
  escapePressed = false;
});

function languageName() { return $('language').value; }

// ---- the API key (issue #13): kept in this browser's localStorage ----

const apiKey = $('api-key');
apiKey.value = localStorage.getItem('nsjudge-api-key') || '';
apiKey.addEventListener('change', () => {
  if (apiKey.value.trim()) localStorage.setItem('nsjudge-api-key', apiKey.value.trim());
  else localStorage.removeItem('nsjudge-api-key');
});

// Headers of a request: the key when there is one.
function authHeaders(extra) {
  const h = Object.assign({}, extra);
  if (apiKey.value.trim()) h.Authorization = 'Bearer ' + apiKey.value.trim();
  return h;
}

// EventSource and WebSocket cannot send headers: the key goes as ?access_token=.
function withToken(path) {
  const k = apiKey.value.trim();
  return k ? path + '?access_token=' + encodeURIComponent(k) : path;
}

function setTemplate() {
  const t = TEMPLATES[languageName()];
  if (!editorTouched || editor.value.trim() === '') {
    editor.value = t || '';
    editorTouched = false;
  }
}

async function loadLanguages() {
  const sel = $('language');
  try {
    const r = await fetch('/languages');
    const langs = await r.json();
    sel.textContent = '';
    for (const l of langs) {
      const o = document.createElement('option');
      o.value = l.name;
      o.textContent = l.name;
      o.dataset.version = l.version;
      sel.append(o);
    }
    sel.disabled = false;
    sel.value = langs.some((l) => l.name === 'python') ? 'python' : sel.value;
    showVersion();
    setTemplate();
  } catch (err) {
    sel.textContent = '';
    const o = document.createElement('option');
    o.textContent = 'languages unavailable';
    sel.append(o);
  }
}

function showVersion() {
  const o = $('language').selectedOptions[0];
  $('lang-version').textContent = o && o.dataset.version ? o.dataset.version : '';
}

$('language').addEventListener('change', () => { showVersion(); setTemplate(); });

// ---- Run: an interactive session ----

const output = $('output');
let session = null; // {ws, ended}

function say(text, cls) {
  const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
  const last = output.lastChild;
  if (last && last.className === cls && cls !== 'sys') {
    last.textContent += text;
  } else {
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    output.append(span);
  }
  if (atBottom) output.scrollTop = output.scrollHeight;
}

function sysLine(text) {
  const last = output.lastChild;
  const needsBreak = last && !last.textContent.endsWith('\n');
  say((needsBreak ? '\n' : '') + '[' + text + ']\n', 'sys');
}

function setState(state, position) {
  const el = $('state');
  el.className = 'state ' + (state || '');
  el.textContent = state ? 'State: ' + state + (position ? ' (place ' + position + ' in line)' : '') : '';
}

function setInputEnabled(on) {
  $('input-line').disabled = !on;
  $('send').disabled = !on;
  $('eof').disabled = !on;
}

function formatMs(ms) { return ms == null ? '–' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(2) + ' s'; }
function formatKb(kb) { return kb == null ? '–' : kb < 1024 ? kb + ' KiB' : (kb / 1024).toFixed(1) + ' MiB'; }

function showExit(m) {
  const el = $('exit');
  const parts = ['Exit: ' + m.status];
  if (m.exit_code != null) parts.push('code ' + m.exit_code);
  if (m.signal != null) parts.push('signal ' + m.signal);
  parts.push('time ' + formatMs(m.wall_ms), 'CPU ' + formatMs(m.cpu_ms), 'memory ' + formatKb(m.memory_kb));
  el.textContent = parts.join(' · ') + (m.evidence ? ' — ' + m.evidence : '');
  el.className = 'exit ' + (m.status === 'ok' ? 'ok' : 'bad');
}

function endRun(note) {
  if (!session) return;
  if (note) sysLine(note);
  session.ended = true;
  session = null;
  setInputEnabled(false);
  $('run').textContent = 'Run';
}

function sendInput(data) {
  if (!session || session.ws.readyState !== WebSocket.OPEN) return;
  session.ws.send(JSON.stringify({ type: 'input', data }));
}

async function startRun() {
  output.textContent = '';
  $('exit').textContent = '';
  $('exit').className = 'exit';
  setState('');
  const body = { language: languageName(), source_code: editor.value };
  let r, j;
  try {
    r = await fetch('/sessions', {
      method: 'POST', headers: authHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(body),
    });
    j = await r.json();
  } catch (err) {
    sysLine('cannot reach the server: ' + err.message);
    return;
  }
  if (r.status !== 201) {
    sysLine('refused: ' + (j && j.error ? j.error : r.status));
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(scheme + location.host + withToken('/sessions/' + j.id));
  const me = { ws, ended: false, gotExit: false };
  session = me;
  $('run').textContent = 'Stop';
  sysLine('waiting for a worker…');
  const waitingLine = output.lastChild;
  ws.onopen = () => {
    setInputEnabled(true);
    const initial = $('stdin').value;
    if (initial) sendInput(initial.endsWith('\n') ? initial : initial + '\n');
    $('input-line').focus();
  };
  ws.onmessage = (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (waitingLine.isConnected) waitingLine.remove();
    if (m.type === 'stdout' || m.type === 'stderr') {
      say(m.data, m.type);
    } else if (m.type === 'state') {
      setState(m.state, m.position);
    } else if (m.type === 'exit') {
      me.gotExit = true;
      showExit(m);
      if (session === me) endRun();
    }
  };
  ws.onclose = (ev) => {
    if (me.gotExit || me.ended) return;
    if (session === me) endRun('connection closed' + (ev.code && ev.code !== 1000 ? ' (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ')' : ''));
  };
}

$('run').addEventListener('click', () => {
  if (session) {
    const ws = session.ws;
    endRun('stopped');
    ws.close(1000, 'stopped by the user');
  } else {
    startRun();
  }
});

$('input-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const line = $('input-line');
  sendInput(line.value + '\n');
  say(line.value + '\n', 'echo');
  line.value = '';
});

$('eof').addEventListener('click', () => {
  if (session && session.ws.readyState === WebSocket.OPEN) {
    session.ws.send(JSON.stringify({ type: 'eof' }));
    setInputEnabled(false);
  }
});

// ---- Submit: test cases and live verdicts ----

function renumber() {
  [...$('tests').rows].forEach((row, i) => {
    row.cells[0].textContent = String(i + 1);
    row.querySelector('.in').setAttribute('aria-label', 'Input of test ' + (i + 1));
    row.querySelector('.want').setAttribute('aria-label', 'Expected output of test ' + (i + 1));
    row.querySelector('.score').setAttribute('aria-label', 'Score of test ' + (i + 1));
    row.querySelector('.remove').setAttribute('aria-label', 'Remove test ' + (i + 1));
  });
}

function addTest(input, expected, score) {
  const row = document.createElement('tr');
  const num = document.createElement('td');
  const tdIn = document.createElement('td');
  const tdWant = document.createElement('td');
  const tdScore = document.createElement('td');
  const tdRm = document.createElement('td');
  const inEl = document.createElement('textarea');
  inEl.className = 'in';
  inEl.spellcheck = false;
  inEl.value = input || '';
  const wantEl = document.createElement('textarea');
  wantEl.className = 'want';
  wantEl.spellcheck = false;
  wantEl.value = expected || '';
  const scoreEl = document.createElement('input');
  scoreEl.type = 'number';
  scoreEl.min = '0';
  scoreEl.max = '1000000';
  scoreEl.className = 'score';
  scoreEl.value = score == null ? '1' : String(score);
  const rm = document.createElement('button');
  rm.type = 'button';
  rm.className = 'remove';
  rm.textContent = '✕';
  rm.addEventListener('click', () => {
    if ($('tests').rows.length > 1) { row.remove(); renumber(); }
  });
  tdIn.append(inEl);
  tdWant.append(wantEl);
  tdScore.append(scoreEl);
  tdRm.append(rm);
  row.append(num, tdIn, tdWant, tdScore, tdRm);
  $('tests').append(row);
  renumber();
  return row;
}

let events = null;

function resultRow(ordinal) {
  const id = 'result-' + ordinal;
  let row = document.getElementById(id);
  if (!row) {
    row = document.createElement('tr');
    row.id = id;
    for (let i = 0; i < 5; i++) row.append(document.createElement('td'));
    row.cells[0].textContent = String(ordinal + 1);
    row.cells[1].textContent = 'pending';
    // Keep rows in test order whatever order they are created in.
    const body = $('results');
    const after = [...body.rows].find((r) => Number(r.id.slice(7)) > ordinal);
    body.insertBefore(row, after || null);
  }
  return row;
}

function showResult(r) {
  // Results are keyed by ordinal: a redelivered job may send one again.
  const row = resultRow(r.ordinal);
  row.cells[1].textContent = r.status;
  row.cells[1].className = r.passed ? 'passed' : 'bad';
  row.cells[2].textContent = formatMs(r.execution_ms);
  row.cells[3].textContent = formatKb(r.memory_kb);
  row.cells[4].textContent = r.evidence || '';
  row.cells[4].className = 'evidence';
  // The checker's own message (a custom checker's first line), and the subtask.
  if (r.checker_message) {
    const msg = document.createElement('div');
    msg.className = 'checker-message';
    msg.textContent = 'checker: ' + r.checker_message;
    row.cells[4].prepend(msg);
  }
  if (r.group) row.cells[0].textContent = (r.ordinal + 1) + ' · ' + r.group;
}

// Subtasks are known once the submission is final: one line per group.
async function showSubtasks(id) {
  let sub;
  try {
    const r = await fetch('/submissions/' + id);
    if (!r.ok) return;
    sub = await r.json();
  } catch (err) {
    return;
  }
  if (!sub.subtasks) return;
  const el = document.createElement('div');
  el.className = 'subtasks';
  el.textContent = 'Subtasks: ' + sub.subtasks.map((g) =>
    g.name + ' ' + g.awarded + '/' + g.points + ' (' + g.status + ')').join(' · ');
  $('final').append(el);
}

function showFinal(s) {
  const el = $('final');
  let text = 'Result: ' + s.status;
  if (s.score != null) text += ' · score ' + s.score + '/' + s.max_score;
  if (s.execution_ms != null) text += ' · longest test ' + formatMs(s.execution_ms);
  if (s.memory_kb != null) text += ' · peak memory ' + formatKb(s.memory_kb);
  if (s.error) text += ' — ' + s.error;
  el.textContent = text;
  el.className = 'final ' + (s.status === 'passed' ? 'passed' : 'bad');
}

async function submit() {
  const tests = [...$('tests').rows].map((row) => ({
    input: row.querySelector('.in').value,
    expected_output: row.querySelector('.want').value,
    score: Number(row.querySelector('.score').value || 0),
  }));
  const body = { language: languageName(), source_code: editor.value, test_cases: tests };
  if (events) { events.close(); events = null; }
  $('results').textContent = '';
  $('results-table').hidden = false;
  $('final').textContent = 'Submitting…';
  $('final').className = 'final';
  let r, j;
  try {
    r = await fetch('/submissions', {
      method: 'POST', headers: authHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(body),
    });
    j = await r.json();
  } catch (err) {
    $('final').textContent = 'Cannot reach the server: ' + err.message;
    return;
  }
  if (r.status !== 202) {
    $('final').textContent = 'Refused: ' + (j && j.error ? j.error : r.status);
    $('final').className = 'final bad';
    return;
  }
  tests.forEach((t, i) => resultRow(i));
  // EventSource resumes by itself with Last-Event-ID after a dropped connection.
  const es = new EventSource(withToken('/submissions/' + j.id + '/events'));
  events = es;
  es.addEventListener('status', (ev) => {
    const s = JSON.parse(ev.data);
    if (['queued', 'running'].includes(s.status)) {
      $('final').textContent = 'Status: ' + s.status + '…';
      return;
    }
    showFinal(s);
    showSubtasks(j.id);
    es.close(); // the end: do not reconnect
    if (events === es) events = null;
  });
  es.addEventListener('result', (ev) => showResult(JSON.parse(ev.data)));
}

$('add-test').addEventListener('click', () => {
  const row = addTest('', '', 1);
  row.querySelector('.in').focus();
});
$('submit').addEventListener('click', submit);

addTest('Ada', 'What is your name? Hello, Ada', 1);
loadLanguages();
