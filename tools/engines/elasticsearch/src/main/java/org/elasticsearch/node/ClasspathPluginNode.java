package org.elasticsearch.node;

import java.util.Collection;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsService;

/**
 * A node whose plugins are classes on the classpath, as the distribution's modules/ directory
 * would provide them. It sits in Node's package because in 8.14 the constructor and the service
 * provider that allow this are package-private; the test framework's MockNode does the same, but
 * it first sets up the test runtime, which refuses to run as root.
 */
public final class ClasspathPluginNode {
    private ClasspathPluginNode() {}

    /** A node on `environment` with `plugins` loaded; not started. */
    public static Node create(Environment environment,
            Collection<Class<? extends Plugin>> plugins) {
        NodeServiceProvider provider = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, Settings settings) {
                return new MockPluginsService(settings, env, plugins);
            }
        };
        return new Node(NodeConstruction.prepareConstruction(environment, provider, true));
    }
}
