package dev.moratorium.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.SecurityUtils;

/**
 * The ACLs of the prod overlay's Strimzi KafkaUser ({@value #FILE}), for another user: the SASL
 * tests' broker enforces ACLs, and their SCRAM user gets exactly these, so a service that needed
 * one more permission than production grants would fail there, not in a cluster.
 */
public final class KafkaUserAcls {

    public static final String FILE = "k8s/overlays/prod/kafka-user.yaml";

    private KafkaUserAcls() {
    }

    /** Each rule's operations as allowed to {@code username}, from any host. */
    public static List<AclBinding> forUser(String username) throws IOException {
        JsonNode user = new YAMLMapper().readTree(Path.of(FILE).toFile());
        List<AclBinding> bindings = new ArrayList<>();
        for (JsonNode acl : user.at("/spec/authorization/acls")) {
            JsonNode resource = acl.get("resource");
            ResourcePattern pattern = new ResourcePattern(known(SecurityUtils.resourceType(resource.get("type").asText())),
                    resource.get("name").asText(),
                    PatternType.valueOf(resource.path("patternType").asText("literal").toUpperCase(Locale.ROOT)));
            for (JsonNode operation : acl.get("operations")) {
                AclOperation op = SecurityUtils.operation(operation.asText());
                if (op == AclOperation.UNKNOWN) {
                    throw new IllegalArgumentException(FILE + ": unknown operation " + operation.asText());
                }
                bindings.add(new AclBinding(pattern, new AccessControlEntry("User:" + username, "*", op,
                        AclPermissionType.ALLOW)));
            }
        }
        if (bindings.isEmpty()) {
            throw new IllegalStateException(FILE + " declares no ACLs");
        }
        return bindings;
    }

    private static ResourceType known(ResourceType type) {
        if (type == ResourceType.UNKNOWN) {
            throw new IllegalArgumentException(FILE + ": unknown resource type");
        }
        return type;
    }
}
