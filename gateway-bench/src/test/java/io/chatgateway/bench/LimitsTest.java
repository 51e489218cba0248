package io.chatgateway.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitsTest {

    @Test
    void parsesThePortRangeAsTheKernelWritesIt() {
        assertArrayEquals(new int[] {32768, 60999}, Limits.parsePortRange("32768\t60999\n"));
        assertArrayEquals(new int[] {1024, 65535}, Limits.parsePortRange("1024 65535"));
        assertNull(Limits.parsePortRange("3"), "one byte of the file is no range");
        assertNull(Limits.parsePortRange("60999 32768"));
        assertNull(Limits.parsePortRange("1024 65535 7"));
        assertNull(Limits.parsePortRange(""));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsTheWholeSysctlFileNotItsFirstByte() throws Exception {
        // Files.readAllLines reads through a large buffer from offset 0, so it is the reference here.
        List<String> lines = Files.readAllLines(Limits.PORT_RANGE);
        assertEquals(1, lines.size(), lines.toString());
        assertEquals(lines.get(0) + "\n", Limits.readProc(Limits.PORT_RANGE));
        int[] range = Limits.parsePortRange(lines.get(0));
        assertEquals(range[0] + "-" + range[1], Limits.ephemeralPorts());
        assertEquals(range[1] - range[0] + 1, Limits.ephemeralPortCount());
        assertTrue(Limits.ephemeralPortCount() > 1, "a real range has more than one port");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsTheOtherProcFilesWhole() throws Exception {
        assertTrue(Limits.loadAverage().matches("\\d+\\.\\d+ \\d+\\.\\d+ \\d+\\.\\d+"), Limits.loadAverage());
        assertTrue(Limits.cpuNanos(ProcessHandle.current().pid()) > 0, "this JVM has used some CPU");
    }

    @Test
    void readsAnOrdinaryFileWhole(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x");
        String text = "a".repeat(20_000) + "\n";
        Files.writeString(f, text);
        assertEquals(text, Limits.readProc(f));
    }

    @Test
    void countsTheCpusOfAKernelCpuList() {
        assertEquals(1, Limits.countCpuList("0"));
        assertEquals(2, Limits.countCpuList("0-1"));
        assertEquals(7, Limits.countCpuList("0-3,8,10-11"));
        assertEquals(-1, Limits.countCpuList(""));
        assertEquals(-1, Limits.countCpuList("3-1"));
        assertEquals(-1, Limits.countCpuList("all"));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsTheCpusAProcessMayRunOn() throws Exception {
        assertTrue(Limits.allowedCpus(ProcessHandle.current().pid()) >= 1);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/taskset")), "no taskset");
        Process pinned = new ProcessBuilder("/usr/bin/taskset", "-c", "0", "sleep", "30").start();
        try {
            // taskset sets the affinity, then execs sleep in the same process.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Limits.allowedCpus(pinned.pid()) != 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, Limits.allowedCpus(pinned.pid()));
        } finally {
            pinned.destroy();
        }
        assertEquals(-1, Limits.allowedCpus(Long.MAX_VALUE), "no such process");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theBenchsCpuCountsTheProcessesItStarted() throws Exception {
        // A child that burns CPU for a while, then waits: the bench's CPU must include what it used.
        Process busy = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done; sleep 30").start();
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (Limits.cpuNanos(busy.pid()) < 200_000_000L && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            long child = Limits.cpuNanos(busy.pid());
            long self = Limits.cpuNanos(ProcessHandle.current().pid());
            assertTrue(child >= 200_000_000L, "the child burned " + child + " ns");
            long bench = Limits.benchCpuNanos();
            assertTrue(bench >= self + child, bench + " < " + self + " + " + child);
        } finally {
            busy.destroy();
        }
    }
}
