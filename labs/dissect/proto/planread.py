"""Straight-line code for a `labs.dissect.proto.base.Planned` plan.

`Planned` maps a header's fields by a plan made once per layout: for each
field, its rule, where it sits and the Fields it already made by value.
Walking that plan is a loop turn, a 6-tuple unpack and a few tests per field
for every header of every packet. A plan used often (the IPv4 header at 0,
TCP at 20: every packet of a capture) gets a generated function that does
the same lookups with no loop, the plan's constants bound by name. It is
generated source (`exec`) rather than a closure because only straight-line
code drops the per-field loop; the source depends only on the plan (field
names, rules, offsets), never on packet bytes.

The generated function raises TypeError or ValueError (an unhashable value,
a rule that cannot format it) where the loop would take a slower path: the
caller then runs the loop, which handles them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: (layer, layer.fields.get) -> the layer's Fields, as `Planned` makes them.
Generated = Callable[[Any, Callable[[str], Any]], list[Any]]


def generate(steps: list[tuple[Any, ...]], one: Callable[..., Any], field: type) -> Generated:
    """The function for `steps` (`base._Step` tuples). `one(step, layer,
    value)` makes one step's Field as the loop does (on a memo miss);
    a field that is never looked for is made here as `base._make_field`
    makes it (`field` is the Field class)."""
    env: dict[str, Any] = {"one": one, "Field": field}
    lines = ["def fields(layer, get):"]
    out = []
    for i, step in enumerate(steps):
        name, at, ln, rule, memo, layer_key = step
        env[f"s{i}"] = step
        var = f"f{i}"
        out.append(var)
        lines.append(f"    v = get({name!r})")
        if memo is not None:
            env[f"m{i}"] = memo
            if layer_key is None:
                lines.append(f"    {var} = m{i}.get(v)")
            else:
                env[f"k{i}"] = layer_key
                lines.append(f"    {var} = m{i}.get((v, k{i}(layer)))")
            lines += [f"    if {var} is None:", f"        {var} = one(s{i}, layer, v)"]
        elif rule is not None:
            lines += _made(env, i, rule, at, ln)
        else:
            lines.append(f"    {var} = one(s{i}, layer, v)")
    lines.append(f"    return [{', '.join(out)}]")
    where = f"<planned {steps[0][0]}@{steps[0][1]}>" if steps else "<planned>"
    exec(compile("\n".join(lines) + "\n", where, "exec"), env)  # noqa: S102
    return env["fields"]  # type: ignore[no-any-return]


def _made(env: dict[str, Any], i: int, rule: Any, at: int, ln: int) -> list[str]:
    """`base._make_field(rule, v, at, ln, layer)` as statements setting f{i}
    (in its order: the value, the explanation, then the reading)."""
    env.update({f"lab{i}": rule.label, f"filt{i}": rule.filter, f"val{i}": rule.value})
    env.update({f"says{i}": rule.explain, f"secret{i}": rule.secret})
    lines = [f"    shown = val{i}(v)"]
    if isinstance(rule.explain, str):
        explain = f"says{i}"
    else:
        env[f"why{i}"] = rule.explain
        lines.append(f"    why = why{i}(v, layer)")
        explain = "why"
    if rule.show:
        env[f"show{i}"] = rule.show
        show = f"show{i}(v)"
    else:
        show = "shown"
    lines.append(
        f"    f{i} = Field(lab{i}, filt{i}, shown, {show}, {at}, {ln}, {explain}, secret{i})"
    )
    return lines
