package io.pgfleet.bench;

import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The benchmarks' heap column under each collector the server may run on: outputs of
 * {@code jcmd <pid> GC.heap_info} captured from JDK 25 (and JDK 21's G1, which adds Metaspace
 * lines). Under ZGC, the shipped collector, the column used to read 0.
 */
class HeapInfoTest {

    @Test
    void zgcHeapLineInMegabytes() {
        String out = """
                20433:
                 ZHeap            used 72M, capacity 378M, max capacity 6028M
                  Cache           306M (1)
                   size classes   256M (1)
                """;
        assertEquals(OptionalDouble.of(72.0), HeapInfo.usedMiB(out));
    }

    @Test
    void g1HeapLineInKilobytes() {
        String out = """
                20296:
                garbage-first heap   total reserved 6172672K, committed 393216K, used 13383K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 2 young (8192K), 1 survivors (4096K)
                """;
        assertEquals(OptionalDouble.of(13383 / 1024.0), HeapInfo.usedMiB(out));
    }

    @Test
    void g1OnJdk21LeavesMetaspaceOut() {
        String out = """
                4711:
                 garbage-first heap   total 262144K, used 20480K [0x00000000f0000000, 0x0000000100000000)
                  region size 1024K, 2 young (2048K), 0 survivors (0K)
                 Metaspace       used 6597K, committed 6784K, reserved 1114112K
                  class space    used 580K, committed 704K, reserved 1048576K
                """;
        assertEquals(OptionalDouble.of(20.0), HeapInfo.usedMiB(out));
    }

    @Test
    void serialGenerationsAddUp() {
        String out = """
                20777:
                DefNew     total 116160K, used 39698K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)
                 eden space 103296K,  38% used [0x0000000687400000, 0x0000000689ac48a0, 0x000000068d8e0000)
                 from space 12864K,   0% used [0x000000068d8e0000, 0x000000068d8e0000, 0x000000068e570000)
                 to   space 12864K,   0% used [0x000000068e570000, 0x000000068e570000, 0x000000068f200000)
                Tenured    total 258048K, used 1166K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
                 the  space 258048K,   0% used [0x0000000704d50000, 0x0000000704e73ab8, 0x0000000714950000)
                """;
        assertEquals(OptionalDouble.of((39698 + 1166) / 1024.0), HeapInfo.usedMiB(out));
    }

    @Test
    void parallelGenerationsAddUp() {
        String out = """
                21118:
                PSYoungGen      total 113152K, used 39238K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
                 eden space 97280K, 40% used [0x0000000782700000,0x0000000784d518a8,0x0000000788600000)
                ParOldGen       total 258048K, used 1166K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
                 object space 258048K, 0% used [0x0000000687400000,0x0000000687523ab8,0x0000000697000000)
                """;
        assertEquals(OptionalDouble.of((39238 + 1166) / 1024.0), HeapInfo.usedMiB(out));
    }

    @Test
    void zgcInGigabytes() {
        assertEquals(OptionalDouble.of(2048.0), HeapInfo.usedMiB(" ZHeap  used 2G, capacity 4G, max capacity 8G\n"));
    }

    @Test
    void noHeapLineIsUnknownNotZero() {
        assertEquals(OptionalDouble.empty(), HeapInfo.usedMiB("4711:\ncom.sun.tools.attach.AttachNotSupportedException: Unable to open socket file\n"));
    }
}
