/* nsjudge: run one program in the sandbox and print a JSON result.
 * Exit status: 0 a verdict was reached, 1 internal_error, 2 usage error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/sandbox_env.h"
#include "common/util.h"
#include "docker/docker_backend.h"
#include "core/status.h"
#include "judge/build.h"
#include "judge/interact.h"
#include "judge/languages.h"
#include "judge/result_json.h"
#include "nsjudge/pair.h"
#include "nsjudge/sandbox.h"

static const char usage_text[] =
    "usage: nsjudge run [options] FILE\n"
    "\n"
    "Run FILE, the main source of a program, in a fresh sandbox and print one\n"
    "JSON object: status, exit_code, signal, stdout, stderr, cpu_ms, wall_ms,\n"
    "memory_kb, evidence. Exit status: 0 when a verdict was reached (whatever\n"
    "it is), 1 on internal_error, 2 on a usage error.\n"
    "\n"
    "options (defaults in brackets):\n"
    "  --lang NAME        language from etc/languages.conf [python]\n"
    "  --rootfs DIR       root filesystem [$NSJUDGE_ROOTFS, else the language's rootfs/]\n"
    "  --stdin FILE       feed FILE to the program's stdin; '-' = this stdin [empty]\n"
    "  --time SEC         CPU time of all the program's processes [5]\n"
    "  --wall SEC         wall-clock time [10]\n"
    "  --memory SIZE      memory, no swap; k/m/g suffixes [256m]\n"
    "  --pids N           processes and threads [32]\n"
    "  --cpus FRACTION    CPU bandwidth in cores, 0 = unlimited [0.5]\n"
    "  --output SIZE      cap on stdout and on stderr, each [1m]\n"
    "  --cgroup MODE      auto, v1 or v2 [auto: v2 when usable]\n"
    "  --seccomp FILE     seccomp policy [seccomp/default.policy]\n"
    "  --interactor FILE  an interactive run: FILE is an interactor in testlib's\n"
    "                     convention, run in a sandbox of its own beside the program,\n"
    "                     their stdin and stdout joined; --stdin FILE is then the\n"
    "                     interactor's input file (not the program's stdin)\n"
    "  --interactor-lang NAME  the interactor's language [--lang]\n"
    "  --answer FILE      the interactor's answer file [empty]\n"
    "  --transcript SIZE  keep the exchange up to SIZE bytes [none]\n"
    "  --backend NAME     ns (this sandbox) or docker (`docker run`, for comparison) [ns]\n"
    "  --docker-image IMG image for --backend docker [$NSJUDGE_DOCKER_IMAGE or nsjudge-<rootfs>];\n"
    "                     the Docker path enforces --wall as its hard timeout, not --time\n"
    "  --warm             run it the worker's way: through a warm slot, prepared\n"
    "                     before the run is started (tests of that path)\n"
    "  -h, --help         this text\n"
    "\n"
    "With --interactor the object is the program's, with \"interactor\" (the\n"
    "interactor's result), \"interactor_first\", \"verdict\" and \"verdict_evidence\"\n"
    "(the test's status by the rules in README.md: passed, failed, ...) and, with\n"
    "--transcript, \"transcript\".\n"
    "\n"
    "statuses: ok, runtime_error, time_limit, memory_limit, output_limit,\n"
    "syscall_blocked, internal_error; compiled languages may also end in\n"
    "compile_error (the compiler's verdict and output; the program did not run).\n"
    "Needs root (namespaces and cgroups).\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nsjudge: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see nsjudge run --help)\n");
    va_end(ap);
    return 2;
}

static int cancel_pipe[2] = {-1, -1};
static uint64_t t_start;

/* NSJUDGE_TRACE=1: the CLI's phases, like the library's (stderr). */
static void trace(const char *what)
{
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("NSJUDGE_TRACE");
        on = e && *e && strcmp(e, "0") != 0;
    }
    if (on)
        fprintf(stderr, "nsjudge cli:   %8.3f ms  %s\n", (double)(util_now_ns() - t_start) / 1e6, what);
}

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(cancel_pipe[1], "x", 1) < 0) {
        /* nothing to do: the run is already being cancelled */
    }
    errno = saved;
}

/* The submission is read into memory and handed to the sandbox, which
 * writes it into its own read-only tmpfs at /code: no host directory. */
static int read_source(const char *path, char **data, size_t *len, unsigned *mode)
{
    nsj_error_t err;
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "nsjudge: %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (util_read_whole_file(path, 64 << 20, data, len, &err) < 0) {
        fprintf(stderr, "nsjudge: %s\n", err.msg);
        return 2;
    }
    /* Executable sources (the binary language) keep their execute bit. */
    *mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
    return 0;
}

/* A compile step's result: its own status, the compiler's output. */
static int print_result_as(const nsj_result_t *res, const char *status)
{
    json_t *j = result_to_json(res);
    int rc = 1;
    if (j && json_object_set_new(j, "status", json_string(status)) == 0 && json_dumpf(j, stdout, JSON_COMPACT) == 0) {
        fputc('\n', stdout);
        rc = 0;
    } else {
        fprintf(stderr, "nsjudge: could not encode the result\n");
    }
    json_decref(j);
    return rc;
}

static int print_result(const nsj_result_t *res, int run_rc)
{
    json_t *j = result_to_json(res);
    int rc;
    if (!j || json_dumpf(j, stdout, JSON_COMPACT) < 0) {
        fprintf(stderr, "nsjudge: could not encode the result\n");
        rc = 1;
    } else {
        fputc('\n', stdout);
        rc = run_rc < 0 ? 1 : 0;
    }
    json_decref(j);
    return rc;
}

/* The environment, not the caller, is at fault (no root, no rootfs, a bad
 * cache directory): an internal_error result, printed like any other. */
static int internal_error(const char *msg)
{
    nsj_result_t res;
    nsj_result_init(&res);
    res.verdict = NSJ_VERDICT_INTERNAL_ERROR;
    snprintf(res.message, sizeof res.message, "%s", msg);
    fprintf(stderr, "nsjudge: %s\n", msg);
    return print_result(&res, -1);
}

/* --backend docker: the same program, the same JSON, through `docker run`. */
static int run_docker(const language_t *lang, const char *file, const char *stdin_path, const char *image,
                      const nsj_limits_t *limits)
{
    docker_run_opts_t o = {0};
    int rc = read_source(file, (char **)&o.source, &o.source_len, &o.source_mode);
    if (rc != 0)
        return rc;
    /* One image per rootfs (bench/docker.sh imports each): nsjudge-<rootfs>. */
    char default_image[300];
    snprintf(default_image, sizeof default_image, "nsjudge-%s", lang->rootfs[0] == '/' ? "python" : lang->rootfs);
    o.image = image && *image ? image : default_image;
    o.argv = (const char *const *)lang->run_argv;
    lang_source_name_t name;
    languages_source_name(lang, o.source, o.source_len, &name);
    o.source_name = name.file;
    o.limits = *limits;
    o.stdin_fd = -1;
    if (stdin_path) {
        o.stdin_fd = strcmp(stdin_path, "-") == 0 ? dup(0) : open(stdin_path, O_RDONLY | O_CLOEXEC);
        if (o.stdin_fd < 0) {
            fprintf(stderr, "nsjudge: --stdin %s: %s\n", stdin_path, strerror(errno));
            free((char *)o.source);
            return 2;
        }
    }
    nsj_result_t res;
    char box[4096] = "", argbuf[LANG_MAX_ARGS][256];
    const char *argv[LANG_MAX_ARGS + 1];
    if (lang->compile_argc) {
        /* Compile in one container (/box read-write), run in another. */
        snprintf(box, sizeof box, "%s/nsjudge-docker-box-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(box) || chmod(box, 0777) < 0) {
            rc = internal_error("docker: make the /box directory");
            goto done;
        }
        docker_run_opts_t c = o;
        languages_compile_limits(lang, limits, &c.limits);
        languages_expand_argv(lang->compile_argv, &c.limits, &name, argbuf, argv);
        c.argv = argv;
        c.stdin_fd = -1;
        c.box_dir = box;
        c.box_rw = 1;
        int crc = docker_run(&c, &res);
        if (crc < 0 || res.verdict != NSJ_VERDICT_OK) {
            rc = crc < 0 ? print_result(&res, -1) : print_result_as(&res, "compile_error");
            nsj_result_free(&res);
            goto done;
        }
        nsj_result_free(&res);
        o.box_dir = box;
    }
    languages_run_limits(lang, limits, &o.limits);
    languages_expand_argv(lang->run_argv, &o.limits, &name, argbuf, argv);
    o.argv = argv;
    int run_rc = docker_run(&o, &res);
    rc = print_result(&res, run_rc);
    nsj_result_free(&res);
done:
    if (box[0])
        util_rm_rf(box);
    if (o.stdin_fd >= 0)
        close(o.stdin_fd);
    free((char *)o.source);
    return rc;
}

/* --interactor: the program (built) against the interactor, in two
 * sandboxes (nsjudge/pair.h); one JSON object for both. */
typedef struct interactive_opts {
    const char *file, *lang, *answer;
    uint64_t transcript;
} interactive_opts_t;

static int run_interactive(nsj_sandbox_t *sb, const language_table_t *langs, const char *rootfs_override,
                           judge_build_t *build, const nsj_limits_t *limits, const interactive_opts_t *io,
                           const char *input_path, int cancel_fd)
{
    nsj_error_t err;
    const language_t *ilang = languages_find(langs, io->lang);
    if (!ilang)
        return usage_error("unknown language '%s' (--interactor-lang)", io->lang);
    char irootfs[4096];
    if (rootfs_override)
        snprintf(irootfs, sizeof irootfs, "%s", rootfs_override);
    else if (languages_rootfs_path(ilang, irootfs, sizeof irootfs, &err) < 0)
        return internal_error(err.msg);
    cleanup_free char *isrc = NULL, *in = NULL, *ans = NULL;
    size_t isrc_len = 0, in_len = 0, ans_len = 0;
    unsigned imode = 0644;
    int rc = read_source(io->file, &isrc, &isrc_len, &imode);
    if (rc != 0)
        return rc;
    if ((input_path && util_read_whole_file(input_path, 64 << 20, &in, &in_len, &err) < 0) ||
        (io->answer && util_read_whole_file(io->answer, 64 << 20, &ans, &ans_len, &err) < 0)) {
        fprintf(stderr, "nsjudge: %s\n", err.msg);
        return 2;
    }
    judge_build_t ib;
    if (judge_build_init(&ib, sb, ilang, irootfs, isrc, isrc_len, imode, &err) < 0)
        return internal_error(err.msg);
    nsj_limits_t cl;
    nsj_limits_default(&cl);
    nsj_result_t cres;
    int crc = judge_build_compile(&ib, sb, &cl, &cres);
    if (crc != 0) {
        /* The interactor is the caller's: one that does not compile is a usage error. */
        if (crc > 0)
            fprintf(stderr, "nsjudge: the interactor does not compile: %.*s\n",
                    (int)strcspn(cres.err ? cres.err : "", "\n"), cres.err ? cres.err : "");
        rc = crc < 0 ? print_result(&cres, -1) : 2;
        nsj_result_free(&cres);
        judge_build_cleanup(&ib);
        return rc;
    }
    nsj_result_free(&cres);
    nsj_file_t files[1 + JUDGE_BUILD_FILES_MAX + 2];
    const char *argv[LANG_MAX_ARGS + 4];
    nsj_pair_spec_t ps;
    interact_pair_specs(build, limits, &ib, in ? in : "", in_len, ans ? ans : "", ans_len, files, argv, &ps);
    ps.interactor.cancel_fd = cancel_fd;
    ps.transcript_max = io->transcript;
    nsj_pair_result_t pr;
    int prc = nsj_run_pair(sb, &ps, &pr);
    if (prc == 0 && pr.contestant_ran)
        judge_build_runtime_oom(build, &pr.contestant);
    judge_build_cleanup(&ib);
    trace("interactive run finished");
    interact_outcome_t o;
    interact_decide(&pr, &o);
    json_t *j = result_to_json(&pr.contestant), *ij = result_to_json(&pr.interactor);
    rc = 1;
    if (j && ij && json_object_set_new(j, "interactor", ij) == 0 &&
        json_object_set_new(j, "interactor_first", json_boolean(pr.interactor_first)) == 0 &&
        json_object_set_new(j, "verdict", json_string(core_status_name(o.status))) == 0 &&
        json_object_set_new(j, "verdict_evidence", json_string(o.evidence)) == 0 &&
        (!pr.transcript ||
         json_object_set_new(j, "transcript", json_stringn(pr.transcript, pr.transcript_len)) == 0) &&
        json_dumpf(j, stdout, JSON_COMPACT) == 0) {
        fputc('\n', stdout);
        rc = prc < 0 ? 1 : 0;
    } else {
        if (!j || !ij)
            json_decref(ij);
        fprintf(stderr, "nsjudge: could not encode the result\n");
    }
    json_decref(j);
    nsj_pair_result_free(&pr);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"lang", required_argument, NULL, 'l'},   {"rootfs", required_argument, NULL, 'r'},
        {"stdin", required_argument, NULL, 'i'},  {"time", required_argument, NULL, 't'},
        {"wall", required_argument, NULL, 'w'},   {"memory", required_argument, NULL, 'm'},
        {"pids", required_argument, NULL, 'p'},   {"cpus", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'}, {"cgroup", required_argument, NULL, 'g'},
        {"seccomp", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {"backend", required_argument, NULL, 'b'}, {"docker-image", required_argument, NULL, 'd'},
        {"warm", no_argument, NULL, 'W'},
        {"interactor", required_argument, NULL, 'I'}, {"interactor-lang", required_argument, NULL, 'L'},
        {"answer", required_argument, NULL, 'A'}, {"transcript", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *lang_name = "python", *rootfs = getenv("NSJUDGE_ROOTFS"), *stdin_path = NULL;
    nsj_sandbox_opts_t sopts = {0};
    int use_docker = 0;
    const char *docker_image = getenv("NSJUDGE_DOCKER_IMAGE");
    interactive_opts_t io = {0};
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    uint64_t v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': lang_name = optarg; break;
        case 'r': rootfs = optarg; break;
        case 'i': stdin_path = optarg; break;
        case 't':
            if (util_parse_seconds_ms(optarg, &spec.limits.cpu_ms) < 0 || !spec.limits.cpu_ms)
                return usage_error("--time: '%s' is not a positive number of seconds", optarg);
            break;
        case 'w':
            if (util_parse_seconds_ms(optarg, &spec.limits.wall_ms) < 0 || !spec.limits.wall_ms)
                return usage_error("--wall: '%s' is not a positive number of seconds", optarg);
            break;
        case 'm':
            if (util_parse_size(optarg, &spec.limits.memory_bytes) < 0)
                return usage_error("--memory: '%s' is not a size like 256m", optarg);
            break;
        case 'p':
            if (util_parse_u64(optarg, 1000000, &v) < 0)
                return usage_error("--pids: '%s' is not a whole number", optarg);
            spec.limits.pids = (uint32_t)v;
            break;
        case 'c':
            if (util_parse_millis(optarg, &spec.limits.cpu_millis) < 0)
                return usage_error("--cpus: '%s' is not a number of cores like 0.5", optarg);
            break;
        case 'o':
            if (util_parse_size(optarg, &spec.limits.output_bytes) < 0)
                return usage_error("--output: '%s' is not a size like 1m", optarg);
            break;
        case 'g':
            if (strcmp(optarg, "auto") == 0) sopts.cgroup_mode = NSJ_CGROUP_AUTO;
            else if (strcmp(optarg, "v1") == 0) sopts.cgroup_mode = NSJ_CGROUP_V1;
            else if (strcmp(optarg, "v2") == 0) sopts.cgroup_mode = NSJ_CGROUP_V2;
            else return usage_error("--cgroup: '%s' is not auto, v1 or v2", optarg);
            break;
        case 's': sopts.seccomp_policy = optarg; break;
        case 'b':
            if (strcmp(optarg, "ns") == 0) use_docker = 0;
            else if (strcmp(optarg, "docker") == 0) use_docker = 1;
            else return usage_error("--backend: '%s' is not ns or docker", optarg);
            break;
        case 'd': docker_image = optarg; break;
        case 'W': sopts.warm = 1; break;
        case 'I': io.file = optarg; break;
        case 'L': io.lang = optarg; break;
        case 'A': io.answer = optarg; break;
        case 'T':
            if (util_parse_size(optarg, &io.transcript) < 0 || !io.transcript)
                return usage_error("--transcript: '%s' is not a size like 64k", optarg);
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        case ':': return usage_error("%s needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("%s", "missing FILE");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s'", argv[optind + 1]);
    const char *file = argv[optind];
    nsj_error_t err;
    if (nsj_limits_validate(&spec.limits, &err) < 0)
        return usage_error("%s", err.msg);

    trace("options parsed");
    language_table_t langs;
    if (languages_load(NULL, &langs, &err) < 0) {
        fprintf(stderr, "nsjudge: %s\n", err.msg);
        return 2;
    }
    int rc = 2;
    char rootfs_buf[4096];
    char *source = NULL;
    size_t source_len = 0;
    unsigned source_mode = 0644;
    int in_fd = -1;
    nsj_sandbox_t *sb = NULL;
    const language_t *lang = languages_find(&langs, lang_name);
    if (!lang) {
        usage_error("unknown language '%s'", lang_name);
        goto out;
    }
    if (!io.file && (io.lang || io.answer || io.transcript)) {
        usage_error("%s", "--interactor-lang, --answer and --transcript go with --interactor");
        goto out;
    }
    if (use_docker) {
        if (io.file) {
            usage_error("%s", "--interactor runs with --backend ns only");
            goto out;
        }
        rc = run_docker(lang, file, stdin_path, docker_image, &spec.limits);
        goto out;
    }
    if (!io.lang)
        io.lang = lang_name;
    /* A rootfs given (--rootfs, NSJUDGE_ROOTFS) is the interactor's too. */
    bool rootfs_given = rootfs && *rootfs;
    if (!rootfs || !*rootfs) {
        if (languages_rootfs_path(lang, rootfs_buf, sizeof rootfs_buf, &err) < 0) {
            rc = internal_error(err.msg);
            goto out;
        }
        rootfs = rootfs_buf;
    } else if (!realpath(rootfs, rootfs_buf)) {
        fprintf(stderr, "nsjudge: --rootfs %s: %s\n", rootfs, strerror(errno));
        goto out;
    } else {
        rootfs = rootfs_buf;
    }
    if (stdin_path && !io.file) {
        in_fd = strcmp(stdin_path, "-") == 0 ? dup(0) : open(stdin_path, O_RDONLY | O_CLOEXEC);
        if (in_fd < 0) {
            fprintf(stderr, "nsjudge: --stdin %s: %s\n", stdin_path, strerror(errno));
            goto out;
        }
        spec.stdin_fd = in_fd;
    }
    trace("languages loaded");
    rc = read_source(file, &source, &source_len, &source_mode);
    if (rc != 0)
        goto out;
    trace("source read");
    if (cmd_sandbox_opts_from_env(&sopts, &err) < 0) {
        fprintf(stderr, "nsjudge: %s\n", err.msg);
        rc = 2;
        goto out;
    }
    if (nsj_sandbox_new(&sopts, &sb, &err) < 0) {
        rc = internal_error(err.msg);
        goto out;
    }
    trace("sandbox ready (policy, cgroup back end)");
    if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        spec.cancel_fd = cancel_pipe[0];
    }
    judge_build_t build;
    if (judge_build_init(&build, sb, lang, rootfs, source, source_len, source_mode, &err) < 0) {
        rc = internal_error(err.msg);
        goto out;
    }
    /* Compiled languages: the compile step first, in the sandbox too. */
    nsj_result_t res;
    int crc = judge_build_compile(&build, sb, &spec.limits, &res);
    trace("compiled (if the language compiles)");
    if (crc != 0) {
        rc = crc < 0 ? print_result(&res, -1) : print_result_as(&res, "compile_error");
        nsj_result_free(&res);
        judge_build_cleanup(&build);
        goto out;
    }
    nsj_result_free(&res);
    nsj_limits_t base = spec.limits;
    if (io.file) {
        rc = run_interactive(sb, &langs, rootfs_given ? rootfs : NULL, &build, &base, &io, stdin_path, spec.cancel_fd);
        judge_build_cleanup(&build);
        goto out;
    }
    judge_build_run_spec(&build, &base, &spec);
    if (sopts.warm && nsj_sandbox_prepare(sb, spec.rootfs, &spec.limits, &err) < 0) {
        rc = internal_error(err.msg);
        judge_build_cleanup(&build);
        goto out;
    }
    int run_rc = judge_build_run(&build, sb, &spec, &res);
    judge_build_cleanup(&build);
    trace("run finished");
    rc = print_result(&res, run_rc);
    if (rc == 0 && res.verdict != NSJ_VERDICT_INTERNAL_ERROR && strcmp(res.evidence, "cancelled") == 0)
        rc = 130;
    nsj_result_free(&res);
    trace("result printed");
out:
    free(source);
    if (in_fd >= 0)
        close(in_fd);
    nsj_sandbox_free(sb);
    languages_free(&langs);
    trace("cleaned up");
    return rc;
}

int main(int argc, char **argv)
{
    t_start = util_now_ns();
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        return usage_error("%s", "missing command: run");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", argv[1]);
}
