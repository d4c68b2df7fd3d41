// expect: memory_limit
// limits: --memory 12m
// Under 12 MiB the JVM gets -Xmx12m and no -Xms (-Xms16m asked for more
// than the limit: "Initial heap size set to a larger value than the maximum
// heap size", runtime_error). The JVM's own memory (code cache, metaspace,
// the class-data archive: some 17 MiB) passes 12 MiB: the kernel's OOM kill,
// memory_limit, the program's limit is too small, not its fault at runtime.
public class Main {
    public static void main(String[] args) {
        System.out.println("hello");
    }
}
