# family: control
# attack: none: the standard library works: json, re, collections, hashlib, decimal, sqlite3 in /tmp, tempfile
# expect: ok
# output: stdlib ok 3 2 Counter 6
import collections, decimal, hashlib, json, re, sqlite3, tempfile

data = json.loads(json.dumps({"a": [1, 2, 3]}))
words = re.findall(r"\w+", "to be or not to be")
c = collections.Counter(words)
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
assert decimal.Decimal("0.1") + decimal.Decimal("0.2") == decimal.Decimal("0.3")
db = sqlite3.connect("/tmp/test.db")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(1,), (2,), (3,)])
db.commit()
(total,) = db.execute("select sum(x) from t").fetchone()
with tempfile.NamedTemporaryFile("w+") as f:
    f.write("x")
print(f"stdlib ok {len(data['a'])} {c['be']} {type(c).__name__} {total}")
