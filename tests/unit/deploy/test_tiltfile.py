"""The Tiltfile parses and dry-runs under Starlark (starlark-pyo3) with stubbed Tilt builtins.

The stubs check what Tilt would: every path the Tiltfile names exists, every docker_build
target stage exists in its Dockerfile, every image the dev overlay uses is built, every
workload gets a k8s_resource, and resource_deps name real resources. ``kustomize`` renders the
overlay for real; the YAML the Tiltfile hands to ``k8s_yaml`` must be that overlay with only
the documented dev-loop relaxation (writable root fs for live-updated containers).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import starlark as sl
import yaml
from support.dockerfiles import BASE, copy_sources, stage, stages
from support.k8s_render import ROOT, pod_templates, render

pytestmark = pytest.mark.unit

TILTFILE = ROOT / "Tiltfile"


@dataclass
class TiltRecorder:
    """Stubbed Tilt builtins; records calls and checks their arguments against the repo."""

    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    local_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    k8s_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    applied: list[dict[str, Any]] = field(default_factory=list)
    rendered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        path = ROOT / relative
        assert path.exists(), f"Tiltfile names {relative!r}, which does not exist"
        return path

    def docker_build(self, ref: str, context: str, **kwargs: Any) -> None:
        assert ref not in self.images, f"{ref} built twice"
        self.path(context)
        dockerfile = self.path(kwargs.get("dockerfile", "Dockerfile"))
        target = kwargs.get("target")
        if target:
            assert re.search(rf"^FROM .* AS {target}$", dockerfile.read_text(), re.M), (
                f"{dockerfile} has no stage {target!r}"
            )
        for entry in kwargs.get("only", []):
            self.path(entry)
        for step in kwargs.get("live_update", []):
            for local in step.get("sync", [])[:1] + step.get("fall_back_on", []):
                self.path(local)
        self.images[ref] = kwargs

    def docker_build_with_restart(
        self, ref: str, context: str, entrypoint: list[str], **kwargs: Any
    ) -> None:
        assert entrypoint[:2] == ["python", "-m"], entrypoint
        self.docker_build(ref, context, entrypoint=entrypoint, **kwargs)

    def local_resource(self, name: str, cmd: str, **kwargs: Any) -> None:
        script = next(word for word in cmd.split() if "/" in word)
        self.path(script)
        for dep in kwargs.get("deps", []):
            self.path(dep)
        self.local_resources[name] = {"cmd": cmd, **kwargs}

    def kustomize(self, path: str) -> str:
        self.path(path)
        objects = render(Path(path).name)
        self.rendered[path] = objects
        return yaml.safe_dump_all(objects)

    def k8s_yaml(self, text: str) -> None:
        self.applied.extend(doc for doc in yaml.safe_load_all(text) if doc)

    def k8s_kind(self, kind: str, **kwargs: Any) -> None:
        self.kinds[kind] = kwargs

    def k8s_resource(self, name: str, **kwargs: Any) -> None:
        assert name not in self.k8s_resources, f"k8s_resource {name} twice"
        self.k8s_resources[name] = kwargs

    def module(self) -> sl.Module:
        module = sl.Module()
        for name in (
            "docker_build",
            "local_resource",
            "kustomize",
            "k8s_yaml",
            "k8s_kind",
            "k8s_resource",
        ):
            module.add_callable(name, getattr(self, name))
        module.add_callable("sync", lambda local, remote: {"sync": [local, remote]})
        module.add_callable("fall_back_on", lambda files: {"fall_back_on": list(files)})
        module.add_callable(
            "port_forward",
            lambda local, container, name="": {"local": local, "container": container},
        )
        module.add_callable(
            "decode_yaml_stream", lambda text: [d for d in yaml.safe_load_all(text) if d]
        )
        module.add_callable("encode_yaml_stream", lambda objs: yaml.safe_dump_all(list(objs)))
        return module

    def load(self, name: str) -> sl.FrozenModule:
        assert name == "ext://restart_process", name
        module = sl.Module()
        module.add_callable("docker_build_with_restart", self.docker_build_with_restart)
        return module.freeze()


@pytest.fixture(scope="module")
def tilt() -> TiltRecorder:
    recorder = TiltRecorder()
    dialect = sl.Dialect.extended()
    dialect.enable_top_level_stmt = True  # Tilt's Starlark allows top-level for/if
    ast = sl.parse("Tiltfile", TILTFILE.read_text(), dialect)
    sl.eval(
        recorder.module(),
        ast,
        sl.Globals.extended_by([sl.LibraryExtension.StructType, sl.LibraryExtension.Print]),
        sl.FileLoader(recorder.load),
    )
    return recorder


def test_syntax_errors_are_caught() -> None:
    with pytest.raises(sl.StarlarkError):
        sl.parse("Tiltfile", "docker_build('x'", sl.Dialect.extended())


def test_applies_the_dev_overlay(tilt: TiltRecorder) -> None:
    assert list(tilt.rendered) == ["deploy/k8s/overlays/dev"]
    assert tilt.applied


def test_only_relaxation_is_a_writable_root_for_live_updated_containers(
    tilt: TiltRecorder,
) -> None:
    expected = copy.deepcopy(tilt.rendered["deploy/k8s/overlays/dev"])
    relaxed = 0
    for obj in expected:
        for _name, template in pod_templates(obj):
            for container in template["spec"]["containers"]:
                image = container["image"].partition(":")[0]
                if image in tilt.images:
                    container["securityContext"]["readOnlyRootFilesystem"] = False
                    relaxed += 1
    assert relaxed == 6 + 2  # six services, Ray head and the CPU worker group
    assert tilt.applied == expected


def test_every_image_of_the_overlay_is_built_with_live_update(tilt: TiltRecorder) -> None:
    images = {
        container["image"].partition(":")[0]
        for obj in tilt.applied
        for _name, template in pod_templates(obj)
        for container in template["spec"]["containers"]
        if container["image"].startswith("trademaster/")
    }
    assert images == set(tilt.images)
    for ref, build in tilt.images.items():
        assert build["only"], ref
        syncs = [step["sync"] for step in build["live_update"] if "sync" in step]
        assert any(remote.startswith("/opt/tm/live/") for _local, remote in syncs), ref


def test_every_workload_is_a_resource_and_dependencies_exist(tilt: TiltRecorder) -> None:
    workloads = {
        obj["metadata"]["name"]
        for obj in tilt.applied
        if obj["kind"] in ("Deployment", "StatefulSet", "RayCluster")
    }
    assert set(tilt.k8s_resources) == workloads
    known = workloads | set(tilt.local_resources)
    for name, resource in tilt.k8s_resources.items():
        assert set(resource.get("resource_deps", [])) <= known, name
        assert resource.get("labels"), name
    assert tilt.k8s_resources["tm-gateway"]["port_forwards"][0]["local"] == 8080
    assert "RayCluster" in tilt.kinds and tilt.kinds["RayCluster"]["image_json_path"]


def test_codegen_and_ui_are_local_resources(tilt: TiltRecorder) -> None:
    assert "gen_protos.sh" in tilt.local_resources["proto-codegen"]["cmd"]
    assert "ui/build.sh" in tilt.local_resources["ui-build"]["cmd"]
    assert {"proto-codegen", "ui-build", "base-images", "dev-secrets"} <= set(tilt.local_resources)


def _covered(source: str, only: list[str]) -> bool:
    return any(source == entry or source.startswith(entry.rstrip("/") + "/") for entry in only)


def test_only_covers_everything_the_dockerfiles_copy(tilt: TiltRecorder) -> None:
    """Tilt sends only the ``only=`` paths as the build context: a COPY of anything else fails
    the build on a cluster (the base images come from build.sh with the whole context)."""
    for ref, build in tilt.images.items():
        dockerfile = ROOT / build["dockerfile"]
        steps = [step for found in stages(dockerfile) for step in found]
        missing = [
            source
            for sources, _dest in copy_sources(steps)
            for source in sources
            if not _covered(source.rstrip("/"), build["only"])
        ]
        assert not missing, f"{ref}: only= lacks {missing}"


def test_base_images_rebuild_when_the_workspace_metadata_changes(tilt: TiltRecorder) -> None:
    deps = set(tilt.local_resources["base-images"]["deps"])
    copied = {
        source
        for sources, _dest in copy_sources(stage(BASE, "builder"))
        for source in sources
        if source.endswith((".toml", ".lock", ".sh"))
    }
    # Service pyprojects are covered by the service images' own only= lists.
    assert {s for s in copied if not s.startswith("services/")} <= deps


def test_services_start_in_the_local_stacks_dependency_order(tilt: TiltRecorder) -> None:
    """Tilt's resource_deps between services are the local stack's DEPENDENCIES."""
    from trademaster.service.localstack.services import DEPENDENCIES

    for name, calls in DEPENDENCIES.items():
        deps = set(tilt.k8s_resources[f"tm-{name}"].get("resource_deps", []))
        services = {dep for dep in deps if dep.removeprefix("tm-") in DEPENDENCIES}
        assert services == {f"tm-{peer}" for peer in calls}, name
