#!/usr/bin/env python3
"""The problem set's end-to-end check (make problems): each directory of
tests/problems/ is a problem -- problem.json (the question without its tests,
a custom checker's source and helper files named by path, and the expected
outcome of each submission), tests/N.in and N.ans (ordered by N), checker
sources, and submissions/ -- created through the API, judged by a real
worker, and compared with what problem.json expects. refusals.json lists
requests the API must refuse with a 400 naming a field; inline.json inline
submissions with a built-in checker. Prints one line per check and exits 1
when any fails. Usage: check.py API_BASE_URL [PROBLEMS_DIR]"""
import io
import json
import os
import tarfile
import sys
import time
import urllib.error
import urllib.request

API = sys.argv[1].rstrip("/")
ROOT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
LANGS = {".py": "python", ".cpp": "cpp", ".c": "c", ".java": "java", ".go": "go"}
FINAL = {"passed", "failed", "runtime_error", "compile_error", "time_limit", "memory_limit", "output_limit",
         "internal_error"}
failures = []


def send(method, path, data=None, ctype=None, timeout=60):
    """One exchange; with NSJ_HTTP_RECORD=file it is appended there as a JSON
    line, which make problems checks against docs/openapi.yaml."""
    req = urllib.request.Request(API + path, data=data, method=method, headers={"Content-Type": ctype} if ctype else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, text, got = r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        code, text, got = e.code, e.read().decode(), e.headers.get("Content-Type", "")
    record = os.environ.get("NSJ_HTTP_RECORD")
    if record:
        try:
            body = json.loads(text) if got.startswith("application/json") else None
        except ValueError:
            body = None
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps({"method": method, "path": path, "status": code, "content_type": got,
                                "body": body}) + "\n")
    return code, text


def request(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    return send(method, path, data, "application/json" if data else None)


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def question_body(pdir, spec):
    names = sorted((n for n in os.listdir(os.path.join(pdir, "tests")) if n.endswith(".in")),
                   key=lambda n: int(n[:-3]))
    scores = spec.get("scores")
    tests = []
    for i, n in enumerate(names):
        t = {"input": read(os.path.join(pdir, "tests", n)),
             "expected_output": read(os.path.join(pdir, "tests", n[:-3] + ".ans"))}
        if scores:
            t["score"] = scores[i]
        tests.append(t)
    body = {"title": spec["title"], "test_cases": tests}
    for k in ("subtasks", "run_all_tests", "time_limit", "memory_limit"):
        if k in spec:
            body[k] = spec[k]
    c = spec.get("checker")
    if c and c["type"] == "custom":
        c = dict(c)
        c["source"] = read(os.path.join(pdir, c["source"]))
        c["files"] = {os.path.basename(p): read(os.path.join(pdir, p)) for p in c.get("files", [])}
    if c:
        body["checker"] = c
    if "mode" in spec:
        body["mode"] = spec["mode"]
    i = spec.get("interactor")
    if i:
        body["interactor"] = {"language": i["language"], "source": read(os.path.join(pdir, i["source"])),
                              "files": {os.path.basename(p): read(os.path.join(pdir, p)) for p in i.get("files", [])}}
    return body


def wait_final(sid, deadline_s=600):
    end = time.time() + deadline_s
    while time.time() < end:
        code, text = request("GET", "/submissions/" + sid)
        if code == 200:
            sub = json.loads(text)
            if sub["status"] in FINAL:
                return sub
        time.sleep(0.2)
    return None


def events(sid):
    """The submission's SSE result events (the stream replays from the start and ends at the final status)."""
    req = urllib.request.Request(API + "/submissions/" + sid + "/events")
    out = []
    with urllib.request.urlopen(req, timeout=60) as r:
        kind = None
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind == "result":
                out.append(json.loads(line[5:]))
    return out


def compare(name, sub, want):
    ok = check(sub["status"] == want["status"], "%s: status %s (want %s; error: %s)" %
               (name, sub["status"], want["status"], (sub.get("error") or "")[:200]))
    if "stdout" in want:
        outs = [r["stdout"] for r in sub["results"]]
        ok &= check(all(want["stdout"] in o if want["stdout"] else o == "" for o in outs),
                    "%s: each test's stdout %s (%s)" % (name, "has %r" % want["stdout"] if want["stdout"] else "is empty",
                                                         [o[:80] for o in outs]))
    if "score" in want:
        ok &= check(sub["score_awarded"] == want["score"], "%s: score %s (want %s)" %
                    (name, sub["score_awarded"], want["score"]))
    got_tests = [r["status"] for r in sub["results"]]
    if "tests" in want:
        ok &= check(got_tests == want["tests"], "%s: tests %s (want %s)" % (name, got_tests, want["tests"]))
    if "subtasks" in want:
        got = {g["name"]: g["status"] for g in (sub.get("subtasks") or [])}
        ok &= check(got == want["subtasks"], "%s: subtasks %s (want %s)" % (name, got, want["subtasks"]))
    if "message" in want:
        texts = [(r.get("checker_message") or "") + " | " + r["evidence"] for r in sub["results"]]
        ok &= check(any(want["message"] in t for t in texts), "%s: a test's checker message has %r (%s)" %
                    (name, want["message"], texts))
    return ok


def run_problem(pdir):
    pname = os.path.basename(pdir)
    spec = json.loads(read(os.path.join(pdir, "problem.json")))
    code, text = request("POST", "/questions", question_body(pdir, spec))
    if not check(code == 201, "%s: question created (%d %s)" % (pname, code, text[:300])):
        return
    qid = json.loads(text)["id"]
    code, text = request("GET", "/questions/" + qid)
    q = json.loads(text)
    want_type = (spec.get("checker") or {"type": "exact"})["type"]
    check(code == 200 and q["checker"]["type"] == want_type and "source" not in q["checker"],
          "%s: GET /questions shows checker %s without its source" % (pname, q.get("checker")))
    if spec.get("mode") == "interactive":
        check(q.get("mode") == "interactive" and q["interactor"]["language"] == spec["interactor"]["language"] and
              "source" not in q["interactor"],
              "%s: GET /questions shows mode %s, interactor %s without its source" % (pname, q.get("mode"),
                                                                                      q.get("interactor")))
    ids = {}
    for sname in sorted(spec["submissions"]):
        lang = LANGS[os.path.splitext(sname)[1]]
        body = {"language": lang, "question_id": qid, "source_code": read(os.path.join(pdir, "submissions", sname))}
        if spec["submissions"][sname].get("keep_output"):
            body["keep_output"] = True
        code, text = request("POST", "/submissions", body)
        if check(code in (201, 202), "%s/%s: submitted (%d)" % (pname, sname, code)):
            ids[sname] = json.loads(text)["id"]
    for sname, sid in ids.items():
        sub = wait_final(sid)
        if not check(sub is not None, "%s/%s: finished" % (pname, sname)):
            continue
        want = spec["submissions"][sname]
        compare("%s/%s" % (pname, sname), sub, want)
        evs = events(sid)
        check(len(evs) == len(sub["results"]) and
              all(e.get("checker_message") == r.get("checker_message") and e.get("group") == r.get("subtask")
                  for e, r in zip(evs, sub["results"])),
              "%s/%s: SSE result events carry the checker message and the group" % (pname, sname))


def run_refusals():
    for case in json.loads(read(os.path.join(ROOT, "refusals.json"))):
        code, text = request("POST", case["path"], case["body"])
        try:
            msg = json.loads(text).get("error", "")
        except ValueError:
            msg = text
        check(code == 400 and case["field"] in msg and case.get("contains", "") in msg,
              "refused: %s (%d %s)" % (case["what"], code, msg[:300]))


def run_archive_refusal():
    """Test data replaced by an archive keeps the question's subtasks: fewer tests than they name is a 400."""
    body = {"title": "subtasks over 3 tests", "test_cases": [{"input": "1", "expected_output": "2"}] * 3,
            "subtasks": [{"name": "all", "points": 10, "tests": [0, 1, 2]}]}
    code, text = request("POST", "/questions", body)
    if not check(code == 201, "archive: question with subtasks created (%d)" % code):
        return
    qid = json.loads(text)["id"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("1.in", b"1\n"), ("1.out", b"2\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    code, text = send("PUT", "/questions/%s/tests" % qid, buf.getvalue(), "application/x-tar")
    check(code == 400 and "subtasks name test 2" in text,
          "archive: one test where a subtask names three is refused (%d %s)" % (code, text[:200]))
    code, text = request("GET", "/questions/" + qid)
    check(code == 200 and json.loads(text)["version"] == 1, "archive: the refused archive changed nothing")


def put_archive(qid, files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return send("PUT", "/questions/%s/tests" % qid, buf.getvalue(), "application/x-tar", timeout=120)


def run_archive_checker():
    """A custom checker and subtasks given in an archive's tests.json make the new version's judging."""
    code, text = request("POST", "/questions", {"title": "doubling, checker from an archive",
                                                "test_cases": [{"input": "5", "expected_output": "10"}]})
    if not check(code == 201, "archive checker: question created (%d)" % code):
        return
    qid = json.loads(text)["id"]
    pdir = os.path.join(ROOT, "custom-cpp")
    manifest = {"tests": [{"input": "t/1.in", "answer": "t/1.ans"}, {"input": "t/2.in", "answer": "t/2.ans"}],
                "checker": {"type": "custom", "language": "cpp", "source": "chk/checker.cpp",
                            "files": ["chk/checklib.h"]},
                "subtasks": [{"name": "one", "points": 30, "tests": [0]},
                             {"name": "two", "points": 70, "tests": [1], "depends": ["one"]}]}
    files = [("tests.json", json.dumps(manifest).encode())]
    for n in ("1", "2"):
        files.append(("t/%s.in" % n, open(os.path.join(pdir, "tests", n + ".in"), "rb").read()))
        files.append(("t/%s.ans" % n, open(os.path.join(pdir, "tests", n + ".ans"), "rb").read()))
    files.append(("chk/checker.cpp", open(os.path.join(pdir, "checker", "checker.cpp"), "rb").read()))
    files.append(("chk/checklib.h", open(os.path.join(pdir, "checker", "checklib.h"), "rb").read()))
    code, text = put_archive(qid, files)
    if not check(code == 200, "archive checker: tests.json with a checker accepted (%d %s)" % (code, text[:200])):
        return
    code, text = request("GET", "/questions/" + qid)
    q = json.loads(text)
    check(q["version"] == 2 and q["checker"]["type"] == "custom" and q["checker"]["language"] == "cpp" and
          [g["name"] for g in q["subtasks"]] == ["one", "two"] and q["max_score"] == 100,
          "archive checker: version 2 has the checker and subtasks (%s)" % text[:300])
    code, text = request("POST", "/submissions", {"language": "python", "question_id": qid,
                                                  "source_code": read(os.path.join(pdir, "submissions", "partial.py"))})
    sub = wait_final(json.loads(text)["id"]) if code == 202 else None
    if check(sub is not None, "archive checker: a submission finished"):
        compare("archive checker/partial.py", sub, {"status": "failed", "score": 30 + 35,
                                                    "tests": ["passed", "failed"], "message": "points 0.5: one off",
                                                    "subtasks": {"one": "passed", "two": "failed"}})
    bad = [("tests.json", json.dumps({"tests": [{"input": "1.in", "answer": "1.ans"}],
                                       "checker": {"type": "custom", "language": "cpp", "source": "c.cpp"}}).encode()),
           ("1.in", b"1\n"), ("1.ans", b"2\n"), ("c.cpp", b"int main( {}\n")]
    code, text = put_archive(qid, bad)
    check(code == 400 and "does not compile" in text, "archive checker: a checker that does not compile is refused"
          " (%d %s)" % (code, text[:200]))


def run_archive_interactor():
    """An archive's tests.json may make a question interactive: mode and the interactor by path."""
    code, text = request("POST", "/questions", {"title": "guess, interactor from an archive",
                                                "test_cases": [{"input": "5", "expected_output": "10"}]})
    if not check(code == 201, "archive interactor: question created (%d)" % code):
        return
    qid = json.loads(text)["id"]
    pdir = os.path.join(ROOT, "interactive-guess")
    manifest = {"tests": [{"input": "t/1.in", "answer": "t/1.ans"}], "mode": "interactive",
                "interactor": {"language": "cpp", "source": "judge/interactor.cpp",
                               "files": ["judge/interactlib.h"]}}
    files = [("tests.json", json.dumps(manifest).encode()),
             ("t/1.in", open(os.path.join(pdir, "tests", "1.in"), "rb").read()),
             ("t/1.ans", open(os.path.join(pdir, "tests", "1.ans"), "rb").read()),
             ("judge/interactor.cpp", open(os.path.join(pdir, "interactor", "interactor.cpp"), "rb").read()),
             ("judge/interactlib.h", open(os.path.join(pdir, "interactor", "interactlib.h"), "rb").read())]
    code, text = put_archive(qid, files)
    if not check(code == 200, "archive interactor: tests.json with an interactor accepted (%d %s)" %
                 (code, text[:200])):
        return
    code, text = request("GET", "/questions/" + qid)
    q = json.loads(text)
    check(q["version"] == 2 and q["mode"] == "interactive" and q["interactor"] == {"language": "cpp"},
          "archive interactor: version 2 is interactive (%s)" % text[:300])
    for sname, want in (("ac.py", "passed"), ("wa.py", "failed")):
        code, text = request("POST", "/submissions", {"language": "python", "question_id": qid,
                                                      "source_code": read(os.path.join(pdir, "submissions", sname))})
        sub = wait_final(json.loads(text)["id"]) if code == 202 else None
        if check(sub is not None, "archive interactor: %s finished" % sname):
            compare("archive interactor/" + sname, sub, {"status": want, "tests": [want]})
    bad = [("tests.json", json.dumps({"tests": [{"input": "1.in", "answer": "1.ans"}], "mode": "interactive",
                                       "interactor": {"language": "cpp", "source": "i.cpp"}}).encode()),
           ("1.in", b"1\n"), ("1.ans", b"1\n"), ("i.cpp", b"int main( {}\n")]
    code, text = put_archive(qid, bad)
    check(code == 400 and "interactor.source" in text and "does not compile" in text,
          "archive interactor: an interactor that does not compile is refused (%d %s)" % (code, text[:200]))


def run_inline():
    for case in json.loads(read(os.path.join(ROOT, "inline.json"))):
        code, text = request("POST", "/submissions", case["body"])
        if not check(code in (201, 202), "inline %s: submitted (%d %s)" % (case["what"], code, text[:200])):
            continue
        sub = wait_final(json.loads(text)["id"])
        if check(sub is not None, "inline %s: finished" % case["what"]):
            compare("inline " + case["what"], sub, case["expect"])


def main():
    t0 = time.time()
    run_refusals()
    run_archive_refusal()
    run_archive_checker()
    run_archive_interactor()
    run_inline()
    only = os.environ.get("PROBLEMS")
    for name in sorted(os.listdir(ROOT)):
        pdir = os.path.join(ROOT, name)
        if os.path.isdir(pdir) and os.path.exists(os.path.join(pdir, "problem.json")):
            if not only or name in only.split(","):
                run_problem(pdir)
    print("problems: %d checks failed, %.0f s" % (len(failures), time.time() - t0))
    sys.exit(1 if failures else 0)


main()
