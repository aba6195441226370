"""The image production runs carries no development stack (embedded PostgreSQL, the broker,
the sinks): its stages, read from the Dockerfile."""

from pathlib import Path

DOCKERFILE = (Path(__file__).parents[2] / "Dockerfile").read_text("utf-8")


def stages() -> dict[str, str]:
    found, name = {}, None
    for line in DOCKERFILE.splitlines():
        if line.startswith("FROM "):
            name = line.split(" AS ")[-1].strip()
            found[name] = line + "\n"
        elif name:
            found[name] += line + "\n"
    return found


def test_the_default_target_is_production_without_the_dev_stack():
    built = stages()
    assert list(built)[-1] == "production", "docker build without --target builds the last stage"
    chain, text = "production", ""
    while chain in built:
        text += built[chain]
        chain = built[chain].split()[1]  # FROM <parent> AS <name>
    assert "devstack" not in text and "appeals-stack" not in text
    assert "devstack" in built["dev"]
