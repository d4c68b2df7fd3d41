/* Unit tests: the language table file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/languages.h"

static void expect_error(const char *text, const char *needle)
{
    language_table_t t;
    nsj_error_t err;
    assert_int_equal(languages_parse(text, "l.conf", &t, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void parse_and_find(void **state)
{
    (void)state;
    const char *text = "# table\n[python]\naliases = py python3\nversion = Python 3.11\nrootfs = python\n"
                       "source = main.py\nrun = /usr/bin/python3 /code/main.py\n\n[other]\nrootfs=/abs\n"
                       "source=a\nrun=/bin/a  -x\n";
    language_table_t t;
    nsj_error_t err;
    assert_int_equal(languages_parse(text, "l.conf", &t, &err), 0);
    assert_int_equal(t.n, 2);
    const language_t *l = languages_find(&t, "py");
    assert_non_null(l);
    assert_string_equal(l->name, "python");
    assert_string_equal(l->version, "Python 3.11");
    assert_int_equal(l->run_argc, 2);
    assert_string_equal(l->run_argv[1], "/code/main.py");
    assert_null(l->run_argv[2]);
    assert_ptr_equal(languages_find(&t, "python3"), l);
    assert_null(languages_find(&t, "cobol"));
    l = languages_find(&t, "other");
    assert_int_equal(l->run_argc, 2);
    assert_string_equal(l->run_argv[1], "-x");
    assert_true(l->listed); /* by default */
    assert_ptr_equal(languages_find_listed(&t, "py"), languages_find(&t, "py"));
    languages_free(&t);
    /* listed = no: found by the CLI's lookup, not by the API's. */
    assert_int_equal(languages_parse("[bin]\nlisted = no\nrootfs=x\nsource=m\nrun=/code/m\n", "l.conf", &t, &err), 0);
    assert_false(t.langs[0].listed);
    assert_non_null(languages_find(&t, "bin"));
    assert_null(languages_find_listed(&t, "bin"));
    languages_free(&t);
}

static void errors(void **state)
{
    (void)state;
    expect_error("[p]\nrootfs=x\nsource=m\nrun=/x\ncolour = blue\n", "l.conf:5: unknown key 'colour' in [p]");
    expect_error("rootfs = x\n", "l.conf:1: 'rootfs' outside");
    expect_error("[p]\nrun /x\n", "l.conf:2: expected 'key = value'");
    expect_error("[p\n", "l.conf:1: bad section header");
    expect_error("[p]\nrootfs=x\nsource=m\n", "[p] needs rootfs, source and run");
    expect_error("[p]\nrootfs=x\nsource=m\nrun=python3 x\n", "absolute path");
    expect_error("[p]\nrootfs=x\nsource=a/b\nrun=/x\n", "plain file name");
    expect_error("[p]\nrootfs=../x\nsource=m\nrun=/x\n", "l.conf:2: bad value for 'rootfs'");
    expect_error("[p]\nrootfs=x\nsource=m\nrun=/x\n[p]\n", "defined twice");
    expect_error("# nothing\n", "no languages");
    expect_error("[p]\nlisted = maybe\n", "l.conf:2: bad value for 'listed'");
}

static void compile_steps_and_adjustments(void **state)
{
    (void)state;
    const char *text = "[java]\nrootfs = java\nsource = Main.java\n"
                       "compile = /usr/bin/javac -d /box /code/Main.java\n"
                       "compile_limits = time=10 wall=30 memory=1g pids=128 output=64k tmp=256m cpus=2\n"
                       "run = /usr/bin/java -cp /box Main\nrun_pids_min = 64\nrun_memory_extra = 64m\n"
                       "env = JAVA_TOOL_OPTIONS=-Xshare:auto FOO=bar\nsession_env = LIVE=1 X=y\n";
    language_table_t t;
    nsj_error_t err;
    if (languages_parse(text, "l.conf", &t, &err) < 0)
        fail_msg("%s", err.msg);
    const language_t *l = languages_find(&t, "java");
    assert_int_equal(l->compile_argc, 4);
    assert_string_equal(l->compile_argv[0], "/usr/bin/javac");
    assert_null(l->compile_argv[4]);
    /* The default environment comes first, then the language's own. */
    assert_string_equal(l->env[0], "PATH=/usr/local/bin:/usr/bin:/bin");
    assert_string_equal(l->env[l->ndefault], "JAVA_TOOL_OPTIONS=-Xshare:auto");
    assert_string_equal(l->env[l->ndefault + 1], "FOO=bar");
    assert_null(l->env[l->ndefault + 2]);
    /* Interactive sessions only: kept apart from env. */
    assert_int_equal(l->nsession_env, 2);
    assert_string_equal(l->session_env[0], "LIVE=1");
    assert_string_equal(l->session_env[1], "X=y");
    assert_null(l->session_env[2]);

    nsj_limits_t base, out;
    nsj_limits_default(&base);
    languages_run_limits(l, &base, &out);
    assert_int_equal(out.pids, 64);
    assert_int_equal(out.memory_bytes, (256 + 64) << 20);
    assert_int_equal(out.cpu_ms, base.cpu_ms);
    base.pids = 100;
    languages_run_limits(l, &base, &out);
    assert_int_equal(out.pids, 100); /* a minimum, never a cut */
    languages_compile_limits(l, &base, &out);
    assert_int_equal(out.cpu_ms, 10000);
    assert_int_equal(out.wall_ms, 30000);
    assert_int_equal(out.memory_bytes, 1ULL << 30);
    assert_int_equal(out.pids, 128);
    assert_int_equal(out.output_bytes, 64 << 10);
    assert_int_equal(out.tmp_bytes, 256 << 20);
    assert_int_equal(out.cpu_millis, 2000);
    assert_int_equal(out.nofile, base.nofile); /* not set: the run's */
    languages_free(&t);

    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\ncompile_limits = time=1 colour=2\n",
                 "l.conf:5: bad value for 'compile_limits'");
    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\ncompile = gcc x\n", "compile must start with an absolute path");
    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\nenv = NOEQUALS\n", "l.conf:5: bad value for 'env'");
    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\nrun_pids_min = lots\n", "l.conf:5: bad value");
    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\nsession_env = =x\n", "l.conf:5: bad value for 'session_env'");
}

static void shipped_table(void **state)
{
    (void)state;
    char path[4096];
    const char *home = getenv("NSJUDGE_HOME");
    snprintf(path, sizeof path, "%s/etc/languages.conf", home ? home : ".");
    language_table_t t;
    nsj_error_t err;
    if (languages_load(path, &t, &err) < 0)
        fail_msg("%s", err.msg);
    const language_t *py = languages_find(&t, "python");
    assert_non_null(py);
    assert_string_equal(py->run_argv[0], "/usr/bin/python3");
    assert_string_equal(py->source, "main.py");
    /* A person watches a session's output as it comes: not buffered. */
    assert_string_equal(py->session_env[0], "PYTHONUNBUFFERED=1");
    /* binary is for the CLI only: no source text makes an executable. */
    assert_non_null(languages_find(&t, "binary"));
    assert_null(languages_find_listed(&t, "binary"));
    languages_free(&t);
}

static void java_public_class(void **state)
{
    (void)state;
    char c[48];
#define CLS(src) languages_java_public_class(src, strlen(src), c, sizeof c)
    assert_int_equal(CLS("public class Solution { public static void main(String[] a) {} }"), 1);
    assert_string_equal(c, "Solution");
    /* Comments, strings, chars and nested classes are not the file's class. */
    assert_int_equal(CLS("// public class A\n/* public class B */\nimport x.y;\nclass H { public class In {}"
                         " String s = \"public class C\"; char q = '\\''; }\n"
                         "final public class Real$1 {}"), 1);
    assert_string_equal(c, "Real$1");
    assert_int_equal(CLS("public final class F {}"), 1);
    assert_string_equal(c, "F");
    assert_int_equal(CLS("public record R(int x) {}"), 1);
    assert_string_equal(c, "R");
    /* None public, or a name that could not be a plain file name: none. */
    assert_int_equal(CLS("class Main { public static void main(String[] a) {} }"), 0);
    assert_int_equal(CLS("public class \xc3\xa9t\xc3\xa9 {}"), 0);
    assert_int_equal(CLS("public class"), 0);
    assert_int_equal(CLS("public class ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ {}"), 0);
#undef CLS

    const char *text = "[java]\nrootfs = java\nsource = Main.java\nentry = java-class\n"
                       "compile = /usr/bin/javac -d /box /code/{source}\n"
                       "run = /usr/bin/java -Xmx{memory_mb}m -cp /box {class}\n"
                       "[c]\nrootfs = gcc\nsource = main.c\nrun = /box/main\n";
    language_table_t t;
    nsj_error_t err;
    if (languages_parse(text, "l.conf", &t, &err) < 0)
        fail_msg("%s", err.msg);
    const language_t *java = languages_find(&t, "java");
    lang_source_name_t n;
    const char *src = "public class Solution {}";
    languages_source_name(java, src, strlen(src), &n);
    assert_string_equal(n.file, "Solution.java");
    assert_string_equal(n.entry, "Solution");
    nsj_limits_t lim;
    nsj_limits_default(&lim);
    lim.memory_bytes = 12 << 20;
    char buf[LANG_MAX_ARGS][256];
    const char *argv[LANG_MAX_ARGS + 1];
    languages_expand_argv(java->compile_argv, &lim, &n, buf, argv);
    assert_string_equal(argv[3], "/code/Solution.java");
    languages_expand_argv(java->run_argv, &lim, &n, buf, argv);
    assert_string_equal(argv[1], "-Xmx12m");
    assert_string_equal(argv[4], "Solution");
    assert_null(argv[5]);
    languages_source_name(java, "class X {}", 10, &n); /* none public: the default */
    assert_string_equal(n.file, "Main.java");
    assert_string_equal(n.entry, "Main");
    /* fixed (the default): always `source`, whatever the text. */
    languages_source_name(languages_find(&t, "c"), src, strlen(src), &n);
    assert_string_equal(n.file, "main.c");
    languages_free(&t);
    expect_error("[c]\nrootfs=x\nsource=m\nrun=/x\nentry = guess\n", "l.conf:5: bad value for 'entry'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_and_find), cmocka_unit_test(errors),
        cmocka_unit_test(compile_steps_and_adjustments), cmocka_unit_test(shipped_table), cmocka_unit_test(java_public_class),
    };
    return cmocka_run_group_tests_name("languages", tests, NULL, NULL);
}
