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
}
