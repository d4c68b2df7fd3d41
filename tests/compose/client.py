"""make compose-check's requests against the running stack (tests/compose/check.sh).

    python3 client.py BASE_URL      e.g. http://127.0.0.1:8080

A Python and a C++ submission with inline tests, a question with tests and
two submissions to it (all right; right only for small n, so a partial
score), a memory hog (the worker's cgroups in force inside the container),
the language list and the page at /. Prints one line per check; exits 1
naming the first that failed. Standard library only.
"""
import json
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
DEADLINE_S = 240  # generous: the first compile in a cold container on a busy host


def request(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def fail(what):
    print("compose-check: FAIL: " + what, flush=True)
    sys.exit(1)


def ok(what):
    print("compose-check: ok: " + what, flush=True)


def post(path, body, want):
    status, _, raw = request("POST", path, body)
    if status != want:
        fail(f"POST {path} answered {status}, not {want}: {raw[:300]!r}")
    return json.loads(raw)


def submit(language, source, tests=None, question_id=None):
    body = {"language": language, "source_code": source}
    if tests is not None:
        body["test_cases"] = tests
    if question_id is not None:
        body["question_id"] = question_id
    sub = post("/submissions", body, 202)
    if sub.get("status") != "queued":
        fail(f"a new submission is {sub.get('status')!r}, not 'queued'")
    return sub["id"]


def wait_final(ids):
    start = time.monotonic()
    done = {}
    while len(done) < len(ids):
        for i in ids:
            if i in done:
                continue
            status, _, raw = request("GET", "/submissions/" + i)
            if status != 200:
                fail(f"GET /submissions/{i} answered {status}: {raw[:300]!r}")
            s = json.loads(raw)
            if s["status"] not in ("queued", "running"):
                done[i] = s
        if time.monotonic() - start > DEADLINE_S:
            fail(f"{len(ids) - len(done)} submission(s) not judged within {DEADLINE_S} s")
        time.sleep(0.2)
    return done


def expect(sub, status, score, what):
    if sub["status"] != status or sub["score_awarded"] != score:
        first = next((r for r in sub.get("results", []) if not r.get("passed")), {})
        fail(f"{what}: {sub['status']} score {sub['score_awarded']}, want {status} score {score} "
             f"(evidence: {first.get('evidence')!r}, stderr: {sub.get('stderr', '')[:300]!r})")
    ok(f"{what}: {status}, score {score}/{sub['max_score']}")


def main():
    # 200 once a worker's heartbeat is in Redis (every 2 s from its start).
    deadline = time.time() + 60
    status, _, raw = request("GET", "/healthz")
    while status != 200 and time.time() < deadline:
        time.sleep(1)
        status, _, raw = request("GET", "/healthz")
    if status != 200:
        fail(f"/healthz answered {status}: {raw[:200]!r}")
    ok("/healthz 200")

    status, _, raw = request("GET", "/languages")
    names = {l["name"] for l in json.loads(raw)} if status == 200 else set()
    if not {"python", "cpp"} <= names:
        fail(f"/languages answered {status} without python and cpp: {raw[:300]!r}")
    ok("/languages lists python and cpp")

    status, headers, raw = request("GET", "/")
    if status != 200 or "text/html" not in headers.get("Content-Type", "") or b"<html" not in raw.lower():
        fail(f"GET / answered {status} {headers.get('Content-Type')!r}, not the page")
    ok(f"GET / serves the page ({len(raw)} bytes of HTML)")

    double = [{"input": "21", "expected_output": "42", "score": 1},
              {"input": "-4", "expected_output": "-8", "score": 2}]
    py = submit("python", "print(int(input()) * 2)\n", double)
    cpp = submit("cpp", "#include <iostream>\nint main() { long n; std::cin >> n; std::cout << n * 2 << '\\n'; }\n",
                 double)
    question = post("/questions", {"title": "Double it", "statement": "Print twice n.", "test_cases": [
        {"input": "1", "expected_output": "2", "score": 1},
        {"input": "7", "expected_output": "14", "score": 2},
        {"input": "-3", "expected_output": "-6", "score": 4}]}, 201)
    status, _, raw = request("GET", "/questions/" + question["id"])
    if status != 200 or json.loads(raw).get("max_score") != 7:
        fail(f"GET /questions/{question['id']} answered {status} {raw[:300]!r}, not max_score 7")
    ok("POST /questions: 201; GET: max_score 7")
    q_right = submit("python", "n = int(input())\nprint(n * 2)\n", question_id=question["id"])
    q_small = submit("python", "n = int(input())\nprint(n * 2 if n < 5 else 0)\n", question_id=question["id"])
    hog = submit("python", "x = bytearray(1 << 30)\nprint(len(x))\n",
                 [{"input": "", "expected_output": "1073741824", "score": 1}])

    subs = wait_final([py, cpp, q_right, q_small, hog])
    expect(subs[py], "passed", 3, "python submission")
    expect(subs[cpp], "passed", 3, "C++ submission (compiled in the worker's sandbox)")
    expect(subs[q_right], "passed", 7, "question, right answer")
    expect(subs[q_small], "failed", 5, "question, right for n < 5 only")
    if [r["passed"] for r in subs[q_small]["results"]] != [True, False, True]:
        fail(f"question's per-test results are {[r['passed'] for r in subs[q_small]['results']]}")
    ok("question: per-test results passed, failed, passed")
    expect(subs[hog], "memory_limit", 0, "1 GiB allocation under the 256m limit")
    print("compose-check: ok: evidence: " + subs[hog]["results"][0]["evidence"], flush=True)


main()
