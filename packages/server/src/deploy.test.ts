import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

// No cluster or container runtime runs here, so the manifests are checked against what the server actually serves.
const pkg = join(import.meta.dirname, "..");

describe("deployment files", () => {
  it("the Kubernetes manifest probes the server's real endpoints and port, and scales a Deployment behind a Service", () => {
    const docs = parseAllDocuments(readFileSync(join(pkg, "deploy", "kubernetes.yaml"), "utf8")).map((d) => d.toJS() as Record<string, any>);
    expect(docs.map((d) => d.kind)).toEqual(["Deployment", "Service", "HorizontalPodAutoscaler"]);
    const container = docs[0]!.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe("/ready");
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.ports[0].containerPort).toBe(Number(container.args[container.args.indexOf("--port") + 1]));
    expect(container.args).toContain("0.0.0.0"); // inside a pod the server must listen beyond loopback
    expect(container.lifecycle.preStop.sleep.seconds).toBeGreaterThan(0); // requests routed during termination still land
    expect(docs[1]!.spec.selector).toEqual(docs[0]!.spec.selector.matchLabels);
    expect(docs[2]!.spec.scaleTargetRef.name).toBe(docs[0]!.metadata.name);
  });

  it("the Dockerfile runs the built CLI as a non-root user", () => {
    const dockerfile = readFileSync(join(pkg, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^USER rge$/m);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/dist\/cli\.js"\]/);
    const bin = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["rge-serve"];
    expect(bin).toBe("./dist/cli.js");
  });
});
