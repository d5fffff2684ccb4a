package kt.engines;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The development stack's Kafka admin commands, through Kafka's own Admin API.
 *
 * <pre>
 *   ready BOOTSTRAP SECONDS                     waits until the cluster lists a broker; prints
 *                                               cluster_id=ID and brokers=N
 *   create-topic BOOTSTRAP NAME PARTITIONS [key=value]...
 *                                               creates a topic (replication 1) with those configs
 *   create-topics BOOTSTRAP NAME:PARTITIONS...  creates several at once; one that exists is kept
 * </pre>
 *
 * Exits 0 on success, 1 with the reason on stderr otherwise, 2 on bad usage.
 */
public final class KafkaAdmin {
    private KafkaAdmin() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("ready")) {
            System.exit(ready(args[1], Long.parseLong(args[2])));
        } else if (args.length >= 4 && args[0].equals("create-topic")) {
            Map<String, String> configs = new HashMap<>();
            for (int i = 4; i < args.length; ++i) {
                int eq = args[i].indexOf('=');
                if (eq <= 0) usage();
                configs.put(args[i].substring(0, eq), args[i].substring(eq + 1));
            }
            System.exit(createTopic(args[1], args[2], Integer.parseInt(args[3]), configs));
        } else if (args.length >= 3 && args[0].equals("create-topics")) {
            Map<String, Integer> topics = new java.util.LinkedHashMap<>();
            for (int i = 2; i < args.length; ++i) {
                int colon = args[i].lastIndexOf(':');
                if (colon <= 0) usage();
                topics.put(args[i].substring(0, colon),
                        Integer.parseInt(args[i].substring(colon + 1)));
            }
            System.exit(createTopics(args[1], topics));
        }
        usage();
    }

    private static void usage() {
        System.err.println("usage: KafkaAdmin ready BOOTSTRAP SECONDS | "
                + "create-topic BOOTSTRAP NAME PARTITIONS [key=value]... | "
                + "create-topics BOOTSTRAP NAME:PARTITIONS...");
        System.exit(2);
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        return Admin.create(p);
    }

    private static int ready(String bootstrap, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "no answer";
        try (Admin admin = admin(bootstrap)) {
            while (System.nanoTime() < deadline) {
                try {
                    DescribeClusterResult cluster = admin.describeCluster();
                    int brokers = cluster.nodes().get().size();
                    if (brokers > 0) {
                        System.out.println("cluster_id=" + cluster.clusterId().get());
                        System.out.println("brokers=" + brokers);
                        return 0;
                    }
                    last = "no broker registered yet";
                } catch (ExecutionException e) {
                    last = String.valueOf(e.getCause());
                }
                Thread.sleep(200);
            }
        }
        System.err.println("kafka at " + bootstrap + " not ready after " + seconds + "s: " + last);
        return 1;
    }

    private static int createTopic(String bootstrap, String name, int partitions,
                                   Map<String, String> configs) throws InterruptedException {
        try (Admin admin = admin(bootstrap)) {
            NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs);
            admin.createTopics(List.of(topic)).all().get();
            System.out.println("created topic " + name + " with " + partitions + " partitions");
            return 0;
        } catch (ExecutionException e) {
            System.err.println("creating topic " + name + ": " + e.getCause());
            return 1;
        }
    }

    private static int createTopics(String bootstrap, Map<String, Integer> topics)
            throws InterruptedException {
        int failed = 0;
        try (Admin admin = admin(bootstrap)) {
            List<NewTopic> wanted = new java.util.ArrayList<>();
            topics.forEach((name, partitions) ->
                    wanted.add(new NewTopic(name, partitions, (short) 1)));
            Map<String, org.apache.kafka.common.KafkaFuture<Void>> results =
                    admin.createTopics(wanted).values();
            for (Map.Entry<String, Integer> t : topics.entrySet()) {
                try {
                    results.get(t.getKey()).get();
                    System.out.println("created topic " + t.getKey() + " with " + t.getValue()
                            + " partitions");
                } catch (ExecutionException e) {
                    if (e.getCause()
                            instanceof org.apache.kafka.common.errors.TopicExistsException) {
                        System.out.println("topic " + t.getKey() + " exists");
                    } else {
                        System.err.println("creating topic " + t.getKey() + ": " + e.getCause());
                        ++failed;
                    }
                }
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
