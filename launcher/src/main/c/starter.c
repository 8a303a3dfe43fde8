// SPDX-License-Identifier: Apache-2.0
/*
 * pasta: the starter. It parses no options: it starts the JVM that does the work and stands in for it
 * toward the caller.
 *
 * Layout, found relative to this executable (DIST/bin/pasta): DIST/lib/jpasta.jar, DIST/lib/libjpasta.so,
 * DIST/lib/jpasta-nsd, DIST/lib/jpasta.aot (AOT cache, optional). The JVM is JPASTA_JAVA, else the JDK this
 * was built against (JPASTA_JAVA_HOME, compiled in). JPASTA_JAVA_OPTS adds JVM flags (space-separated).
 *
 * Status pipe: the JVM writes "ready\n" to the fd named by -Djpasta.status once a background (daemon)
 * instance is fully set up; we exit 0 at that moment, as pasta's parent does after it forks. Without
 * "ready", we wait for the JVM and exit with its status (128 + N if signal N ended it). SIGINT, SIGTERM
 * SIGHUP and SIGQUIT that reach us are passed on to the JVM.
 *
 * -Djpasta.t0 is our CLOCK_MONOTONIC time at start: the JVM's -d timestamps count from it, so that they are the
 * start-up timeline from this exec on (scripts/bench.d/README.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef JPASTA_JAVA_HOME
#error "build with -DJPASTA_JAVA_HOME=\"/path/to/jdk\""
#endif

#define MAX_OPTS 64

static volatile pid_t jvm = -1;

static void forward(int sig)
{
	if (jvm > 0)
		kill(jvm, sig);
}

static int exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], home[PATH_MAX], jar[PATH_MAX + 32], aot[PATH_MAX + 32], java[PATH_MAX];
	char prop_home[PATH_MAX + 32], prop_status[48], prop_t0[48], *prop_argv0, *opts = NULL, *slash;
	const char *env_java = getenv("JPASTA_JAVA"), *env_opts = getenv("JPASTA_JAVA_OPTS");
	struct sigaction sa = { .sa_handler = forward };
	char **av;
	int st[2], n = 0, i, status;
	struct timespec t0;
	ssize_t len;
	pid_t pid;

	/* the JVM's log timestamps (-d) count from here, as pasta's count from its start */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		perror("pasta: readlink /proc/self/exe");
		return 1;
	}
	self[len] = 0;
	strcpy(home, self);
	for (i = 0; i < 2; i++) { /* DIST/bin/pasta -> DIST */
		slash = strrchr(home, '/');
		if (!slash) {
			fprintf(stderr, "pasta: cannot locate installation from %s\n", self);
			return 1;
		}
		*slash = 0;
	}
	snprintf(jar, sizeof(jar), "%s/lib/jpasta.jar", home);
	snprintf(aot, sizeof(aot), "-XX:AOTCache=%s/lib/jpasta.aot", home);
	if (env_java && *env_java)
		snprintf(java, sizeof(java), "%s", env_java);
	else
		snprintf(java, sizeof(java), "%s/bin/java", JPASTA_JAVA_HOME);

	if (pipe2(st, O_CLOEXEC)) {
		perror("pasta: pipe");
		return 1;
	}
	snprintf(prop_home, sizeof(prop_home), "-Djpasta.home=%s", home);
	snprintf(prop_status, sizeof(prop_status), "-Djpasta.status=%d", st[1]);
	snprintf(prop_t0, sizeof(prop_t0), "-Djpasta.t0=%lld", (long long)t0.tv_sec * 1000000000LL + t0.tv_nsec);
	/* getopt's messages and the usage text name the program as the caller wrote it, as glibc's do */
	if (asprintf(&prop_argv0, "-Djpasta.argv0=%s", argc > 0 && argv[0] ? argv[0] : "pasta") < 0)
		return 1;

	av = calloc((size_t)argc + MAX_OPTS + 16, sizeof(*av));
	if (!av)
		return 1;
	av[n++] = java;
	/*
	 * Startup flags: see ARCHITECTURE.md §2 and scripts/bench startup. C1-only (TieredStopAtLevel=1) was measured
	 * here at 134 ms against 145 ms for `--config-net -- true` with full tiered compilation, but at 1.35 against
	 * 4.86 Gbit/s for a TCP download through the tap: tiered compilation stays.
	 */
	/*
	 * JIT thresholds x10: a start compiled ~30 ms of CPU worth of methods that run a few hundred times and never again
	 * (options, netlink, set-up); on 2 busy cores those compiler threads took the CPU the main thread needed. The
	 * data path runs its methods millions of times a second, so they still compile within the first moments of
	 * traffic (scripts/bench.d/README.md, "Startup timeline").
	 */
	av[n++] = "-XX:CompileThresholdScaling=10";
	/*
	 * The AOT cache mapped where it was made, not at a random address: relocating its pointers cost 5-8 ms of the
	 * JVM's creation (-Xlog:startuptime "Genesis": 9.9 against 1.5 ms median here) and made 9 MiB of its pages
	 * private copies; mapped in place, its read-only part stays shared between instances. The price is that the
	 * cache's metadata sits at a fixed address (the JDK's default randomises it).
	 */
	av[n++] = "-XX:+UnlockDiagnosticVMOptions";
	av[n++] = "-XX:ArchiveRelocationMode=0";
	av[n++] = "-XX:+UseSerialGC";
	av[n++] = "-XX:-UsePerfData";
	av[n++] = "-Xss512k";
	/*
	 * A young generation that holds the flow tables the TCP and ICMP engines allocate on their first frame (~25 MB
	 * of arrays): with -Xms8m that allocation cost 8 young collections at the start of every first transfer.
	 * Pages are touched only when used.
	 */
	av[n++] = "-Xms96m";
	av[n++] = "-Xmn64m";
	/*
	 * Give back to the system, every 5 s, the native memory the JIT compilers used at start and freed (arena chunks
	 * that glibc keeps otherwise): 4.6 MiB of an idle instance's RSS. No allocation happens on the data path, so a
	 * trim there finds nothing to do.
	 */
	av[n++] = "-XX:TrimNativeHeapInterval=5000";
	av[n++] = "-Xlog:disable";
	av[n++] = "-Xlog:all=error:stderr";
	av[n++] = "--enable-native-access=ALL-UNNAMED";
	/* JDK 25's own default for this security property: set here, InetAddress need not read java.security */
	av[n++] = "-Djdk.includeInExceptions=hostInfoExclSocket";
	if (exists(aot + strlen("-XX:AOTCache=")))
		av[n++] = aot;
	if (env_opts && *env_opts) {
		char *tok, *save = NULL;

		opts = strdup(env_opts);
		for (tok = strtok_r(opts, " \t", &save); tok && n < MAX_OPTS; tok = strtok_r(NULL, " \t", &save))
			av[n++] = tok;
	}
	av[n++] = prop_home;
	av[n++] = prop_status;
	av[n++] = prop_t0;
	av[n++] = prop_argv0;
	av[n++] = "-cp";
	av[n++] = jar;
	av[n++] = "io.jpasta.launcher.Main";
	for (i = 1; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	pid = fork();
	if (pid < 0) {
		perror("pasta: fork");
		return 1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		close(st[0]);
		fcntl(st[1], F_SETFD, 0); /* the JVM keeps the write end */
		execv(java, av);
		fprintf(stderr, "pasta: cannot start the JVM %s: %s\n", java, strerror(errno));
		_exit(1);
	}
	jvm = pid;
	close(st[1]);

	for (;;) {
		char buf[16];
		ssize_t r = read(st[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r >= 5 && !memcmp(buf, "ready", 5))
			return 0; /* daemon: set up and detached, the caller may go on */
		break;    /* EOF: the JVM ended (or closed the pipe): report its status */
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("pasta: waitpid");
			return 1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
