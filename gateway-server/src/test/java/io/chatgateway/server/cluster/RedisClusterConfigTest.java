package io.chatgateway.server.cluster;

import io.chatgateway.server.config.ConfigException;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code redis-cluster://} URI and the hash tags that keep a name's keys in one slot. */
class RedisClusterConfigTest {

    @Test
    void aRedisClusterUriGivesItsSeedNodes() throws ConfigException {
        ServerConfig config = ServerConfig.of(Map.of(Setting.REDIS_URI,
                "redis-cluster://app:s3cret@10.0.0.1:7000, 10.0.0.2:7001,10.0.0.3:7002"));
        ClusterConfig c = ClusterConfig.from(config);
        assertTrue(c.isRedisCluster());
        assertEquals(List.of("redis://app:s3cret@10.0.0.1:7000", "redis://app:s3cret@10.0.0.2:7001",
                "redis://app:s3cret@10.0.0.3:7002"), c.clusterSeeds());
        assertFalse(c.toString().contains("s3cret"), c.toString());
        assertEquals(List.of("rediss://h:1"), new ClusterConfig("rediss-cluster://h:1", "gw", Duration.ofSeconds(10),
                Duration.ofSeconds(1)).clusterSeeds());
    }

    @Test
    void aPlainRedisUriIsNotACluster() throws ConfigException {
        ClusterConfig c = ClusterConfig.from(ServerConfig.of(Map.of(Setting.REDIS_URI, "redis://redis:6379")));
        assertFalse(c.isRedisCluster());
        assertThrows(IllegalStateException.class, c::clusterSeeds);
    }

    @Test
    void refusesAClusterUriWithoutHosts() {
        assertThrows(IllegalArgumentException.class, () -> new ClusterConfig("redis-cluster://u:p@", "gw",
                Duration.ofSeconds(10), Duration.ofSeconds(1)));
    }

    @Test
    void keysOfANameStayInOneSlotWhateverTheName() {
        for (String name : List.of("alice", "{x}", "}x", "a}b{c", "~7b", "", "élan", "a{", "{}")) {
            String tag = ShardedRedisBroker.tag(name);
            assertFalse(tag.contains("{") || tag.contains("}"), tag);
            int slot = SlotHash.getSlot("gw:u:{" + tag + "}");
            assertEquals(slot, SlotHash.getSlot("gw:u:{" + tag + "}:il"), name);
            assertEquals(slot, SlotHash.getSlot("gw:u:{" + tag + "}:ch"), name);
        }
        assertEquals("alice", ShardedRedisBroker.tag("alice"));
        assertTrue(!ShardedRedisBroker.tag("~7b").equals(ShardedRedisBroker.tag("{")), "tags never collide");
    }
}
