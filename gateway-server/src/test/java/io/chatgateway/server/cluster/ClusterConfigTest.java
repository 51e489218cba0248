package io.chatgateway.server.cluster;

import io.chatgateway.GatewayStatistics;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.server.config.ConfigException;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterConfigTest {

    @Test
    void singleNodeUnlessARedisUriIsSet() throws ConfigException {
        ServerConfig config = ServerConfig.of(Map.of());
        assertFalse(config.isClusterMode());
        assertNull(ClusterConfig.from(config));
    }

    @Test
    void readsTheClusterSettings() throws ConfigException {
        ServerConfig config = ServerConfig.of(Map.of(Setting.REDIS_URI, "redis://redis:6379",
                Setting.CLUSTER_NAME, "chat-eu", Setting.CLUSTER_LEASE_MS, "6000", Setting.CLUSTER_TIMEOUT_MS, "1200"));
        ClusterConfig c = ClusterConfig.from(config);
        assertEquals("redis://redis:6379", c.redisUri());
        assertEquals("chat-eu", c.name());
        assertEquals(Duration.ofSeconds(6), c.lease());
        assertEquals(Duration.ofMillis(1200), c.timeout());
        assertEquals(Duration.ofSeconds(1), c.tick(), "at most a second between lease refreshes");
        assertEquals(Duration.ofSeconds(12), c.keyTtl());
        assertEquals(Duration.ofMillis(333), new ClusterConfig("redis://r", "gw", Duration.ofMillis(1000),
                Duration.ofMillis(500)).tick());
    }

    @Test
    void refusesBadClusterSettingsNamingThem() {
        ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of(
                Setting.REDIS_URI, "http://redis:6379", Setting.CLUSTER_NAME, "no spaces",
                Setting.CLUSTER_LEASE_MS, "10")));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("--redis-uri"), all);
        assertTrue(all.contains("--cluster-name"), all);
        assertTrue(all.contains("--cluster-lease-ms"), all);
    }

    @Test
    void neverShowsTheRedisPassword() throws ConfigException {
        ServerConfig config = ServerConfig.of(Map.of(Setting.REDIS_URI, "redis://app:s3cret@redis:6379/0"));
        assertFalse(config.toString().contains("s3cret"), config.toString());
        assertTrue(config.toString().contains("redis://app:******@redis:6379/0"), config.toString());
        assertFalse(ClusterConfig.from(config).toString().contains("s3cret"));
        assertEquals("redis://:******@h", ServerConfig.maskPassword("redis://:pw@h"));
        assertEquals("redis://h:6379", ServerConfig.maskPassword("redis://h:6379"));
    }

    @Test
    void acceptsSentinelUrisAndMasksTheirPassword() throws ConfigException {
        String uri = "redis-sentinel://:s3cret@127.0.0.1:26379,127.0.0.1:26380/0#mymaster";
        ServerConfig config = ServerConfig.of(Map.of(Setting.REDIS_URI, uri));
        assertEquals(uri, ClusterConfig.from(config).redisUri());
        assertFalse(config.toString().contains("s3cret"), config.toString());
        assertTrue(ClusterConfig.from(config).toString()
                .contains("redis-sentinel://:******@127.0.0.1:26379,127.0.0.1:26380/0#mymaster"));
        assertEquals("redis-sentinel://s1,s2:26380?sentinelMasterId=m", ClusterConfig.from(ServerConfig.of(Map.of(
                Setting.REDIS_URI, "redis-sentinel://s1,s2:26380?sentinelMasterId=m"))).redisUri());
    }

    @Test
    void refusesASentinelUriWithoutThePrimarysName() {
        ConfigException e = assertThrows(ConfigException.class, () -> ServerConfig.of(Map.of(
                Setting.REDIS_URI, "redis-sentinel://:s3cret@127.0.0.1:26379,127.0.0.1:26380/0")));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("--redis-uri"), all);
        assertTrue(all.contains("no primary name"), all);
        assertTrue(all.contains("#primary-name"), all);
        assertFalse(all.contains("s3cret"), all);
    }

    @Test
    void refusesARedisClusterUriWithoutSeedsOrWithAMalformedOne() {
        Map<String, String> bad = Map.of(
                "redis-cluster://u:s3cret@", "no seed node",
                "redis-cluster://u:s3cret@ , ,", "no seed node",
                "redis-cluster://u:s3cret@10.0.0.1", "not a host:port: '10.0.0.1'",
                "redis-cluster://u:s3cret@10.0.0.1:7000,10.0.0.2:70x0", "not a host:port: '10.0.0.2:70x0'",
                "rediss-cluster://u:s3cret@h:0", "not a host:port: 'h:0'",
                "redis-cluster://u:s3cret@h:99999", "not a host:port: 'h:99999'",
                "redis-cluster://u:s3cret@:7000", "not a host:port: ':7000'",
                "redis-cluster://u:s3cret@h 1:7000", "not a host:port: 'h 1:7000'");
        bad.forEach((uri, problem) -> {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ServerConfig.of(Map.of(Setting.REDIS_URI, uri)), uri);
            String all = String.join("\n", e.problems());
            assertTrue(all.contains("--redis-uri"), all);
            assertTrue(all.contains(problem), uri + ": " + all);
            assertTrue(all.contains("redis-cluster://[user:password@]host:port"), all);
            assertFalse(all.contains("s3cret"), all);
        });
    }

    @Test
    void acceptsRedisClusterSeeds() throws ConfigException {
        for (String uri : new String[] {"redis-cluster://10.0.0.1:7000", "redis-cluster://u:p@a:7000, b.example:7001",
                "rediss-cluster://[::1]:7000,h:7001"}) {
            assertEquals(uri, ClusterConfig.from(ServerConfig.of(Map.of(Setting.REDIS_URI, uri))).redisUri());
        }
    }

    @Test
    void sumsNodeStatistics() {
        GatewayStatistics one = stats(10, 1000, 3);
        GatewayStatistics two = stats(30, 2000, 1);
        ClusterStatistics s = ClusterStatistics.of(List.of(
                new ClusterStatistics.NodeStatistics("a", true, 1, one),
                new ClusterStatistics.NodeStatistics("b", false, 2, two)), true);
        assertEquals(40, s.total().connections());
        assertEquals(1750, s.total().averageAgeMillis(), "weighted by connections");
        assertEquals(4L, s.total().kicks().get(KickReason.IDLE));
        assertEquals(200, s.total().maxConnections());
    }

    @Test
    void statisticsSurviveTheTripThroughRedis() {
        GatewayStatistics one = stats(10, 1000, 3);
        StatisticsJson.Stamped back = StatisticsJson.read(StatisticsJson.write(42, one));
        assertEquals(42, back.at());
        assertEquals(one, back.stats());
        assertNull(StatisticsJson.read(new byte[0]));
        assertNull(StatisticsJson.read("{oops".getBytes()));
    }

    private static GatewayStatistics stats(int connections, long age, long idleKicks) {
        return new GatewayStatistics(connections, connections, connections, 2, 100, 50, 40, 0, age, 1, 2, 3, 4, 5,
                Map.of(KickReason.IDLE, idleKicks), Map.of(ErrorCode.USER_OFFLINE, 1L));
    }
}
