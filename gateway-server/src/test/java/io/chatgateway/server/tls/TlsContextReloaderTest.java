package io.chatgateway.server.tls;

import io.netty.pkitesting.X509Bundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reloader on real files, without a server: its own thread notices changes; bad files keep the old context. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsContextReloaderTest {
    @TempDir
    Path dir;

    @Test
    void pollsTheFilesOnItsOwnThreadAndSwapsTheContextWhenTheyChange() throws Exception {
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        TestCertificates.write(TestCertificates.server("one"), cert, key);
        try (TlsContextReloader r = new TlsContextReloader(cert, key)) {
            var before = r.current();
            assertFalse(r.checkNow(), "unchanged files: nothing to do");
            assertSame(before, r.current());
            r.start(Duration.ofMillis(50));
            X509Bundle two = TestCertificates.server("two");
            // Key first, then certificate: in between, the pair does not match and the old context stays.
            Files.writeString(key, two.getPrivateKeyPEM());
            Thread.sleep(200);
            Files.writeString(cert, two.getCertificatePathPEM());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (r.reloads() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, r.reloads());
            assertNotSame(before, r.current());
            assertEquals(two.getCertificate(), r.certificate());
            assertTrue(r.failures() <= 1, "the half-replaced pair is reported at most once: " + r.failures());
        }
    }

    @Test
    void fallsBackToTheJdksTlsWithTheSameFiles() throws Exception {
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        TestCertificates.write(TestCertificates.server("jdk"), cert, key);
        try (TlsContextReloader r = new TlsContextReloader(cert, key, io.netty.handler.ssl.SslProvider.JDK)) {
            assertTrue(r.providerDescription().startsWith("JDK"), r.providerDescription());
            javax.net.ssl.SSLEngine engine = r.current().newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
            assertEquals(java.util.Set.of("TLSv1.3", "TLSv1.2"), java.util.Set.of(engine.getEnabledProtocols()));
        }
    }

    @Test
    void saysWhatIsWrongWithTheFiles() throws Exception {
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        TestCertificates.write(TestCertificates.server("one"), cert, key);
        Path encrypted = dir.resolve("enc.pem");
        Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertTrue(assertThrows(IllegalStateException.class, () -> new TlsContextReloader(cert, encrypted))
                .getMessage().contains("an encrypted key"));
        Path notCert = dir.resolve("nc.pem");
        Files.writeString(notCert, "hello");
        assertTrue(assertThrows(IllegalStateException.class, () -> new TlsContextReloader(notCert, key))
                .getMessage().contains("no PEM certificate"));
        assertTrue(assertThrows(IllegalStateException.class,
                () -> new TlsContextReloader(dir.resolve("missing.pem"), key)).getMessage().contains("cannot read"));
    }
}
