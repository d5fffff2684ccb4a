package kt.engines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathPluginNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * One Elasticsearch node for the development stack, started from the jars on the classpath, with
 * HTTP through the Netty module and GET / (RestRootPlugin) as classpath plugins.
 *
 * <pre>
 *   ElasticsearchNode HOME HTTP_PORT TRANSPORT_PORT
 * </pre>
 *
 * Data and config live under HOME (config/log4j2.properties is written when absent); logs
 * go to the console. Stops cleanly on SIGTERM.
 */
public final class ElasticsearchNode {
    private ElasticsearchNode() {}

    /** Info and above to the console, as the distribution logs to its files. */
    private static final String LOG_CONFIG = String.join("\n",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%c{1.}] %m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.console.ref = console",
            "");

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ElasticsearchNode HOME HTTP_PORT TRANSPORT_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "kt-dev")
                .put("node.name", "kt-dev-1")
                .put("network.host", "127.0.0.1")
                .put("http.port", args[1])
                .put("transport.port", args[2])
                .put("discovery.type", "single-node")
                .build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> "kt-dev-1");
        Path logConfig = home.resolve("config").resolve("log4j2.properties");
        if (!Files.exists(logConfig)) Files.writeString(logConfig, LOG_CONFIG);
        LogConfigurator.registerErrorListener();
        LogConfigurator.configure(environment, true);

        Node node = ClasspathPluginNode.create(
                environment, List.of(Netty4Plugin.class, RestRootPlugin.class));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            }
            closed.countDown();
        }));
        node.start();
        closed.await();
    }
}
