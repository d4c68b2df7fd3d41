// expect: ok
// stdout: procs=1 pid1=hidden
// The pid namespace and hidepid=invisible: the program sees only itself,
// not the sandbox's init (pid 1) nor any host process.
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 2;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (isdigit((unsigned char)e->d_name[0]))
            n++;
    closedir(d);
    printf("procs=%d pid1=%s\n", n, access("/proc/1", F_OK) == 0 ? "visible" : "hidden");
    return 0;
}
