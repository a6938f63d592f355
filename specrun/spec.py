"""Load a spec file: YAML with line numbers, JSON Schema validation, typed Spec/Job.

CONTRACT (other modules depend on these names; add fields freely, do not rename):
``load_spec``, ``Spec``, ``Job``, ``DataSpec``, ``Limits``, ``Message``, ``ProviderConfig`` (the values
themselves live in :mod:`specrun._spec_values`).

``load_spec`` reports every problem it finds at once (``SpecError.problems``), each as
``file:line: field.path: plain words``. What it returns is fully resolved: defaults
merged into jobs, ``--var`` overrides applied, paths absolute. The JSON Schema and the
words for its violations live in :mod:`specrun._schema`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import jinja2
import yaml

from specrun._endpoints import CHAT_COMPLETIONS
from specrun._schema import did_you_mean, schema_problems, spec_schema, type_words
from specrun._spec_endpoints import job_params, job_prompt, limits_fit, structured_params
from specrun._spec_values import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_BACKEND_URL_ENV,
    DEFAULT_COMPLETION_WINDOW,
    OPENAI_API_KEY_ENV,
    OPENAI_BASE_URL,
    BackendConfig,
    Job,
    Limits,
    Message,
    ProviderConfig,
    Spec,
    backend_config,
    find_cycle,
    provider_config,
)
from specrun._templates import compile_template
from specrun._text import safe
from specrun._yaml import YamlDocument, format_path, load_yaml
from specrun.data import DataSpec, format_from_extension
from specrun.errors import SpecError
from specrun.estimate import sets_output_limit
from specrun.structured import load_output_schema

__all__ = [
    "ProviderConfig", "BackendConfig", "DataSpec", "Limits", "Message", "Job", "Spec", "load_spec",
    "select_jobs", "spec_schema", "schema_problems", "DEFAULT_ID_TEMPLATE", "DEFAULT_API_KEY_ENV",
    "DEFAULT_BACKEND_URL_ENV", "DEFAULT_COMPLETION_WINDOW", "OPENAI_API_KEY_ENV", "OPENAI_BASE_URL",
]

DEFAULT_ID_TEMPLATE = "{{ job }}-{{ index }}"
#: What ``exports:`` can write (specrun.exports), by extension.
EXPORT_SUFFIXES = (".csv", ".parquet")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def select_jobs(spec: Spec, names: Iterable[str] = ()) -> tuple[Job, ...]:
    """The named jobs in spec order (all jobs when ``names`` is empty); unknown names are errors."""
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in spec.jobs]
    if unknown:
        name = unknown[0]
        raise SpecError(f"no job {name!r} in {spec.display_path}{did_you_mean(name, spec.jobs)}"
                        f" (jobs: {', '.join(spec.jobs) or 'none'})")
    if not wanted:
        return tuple(spec.jobs.values())
    return tuple(job for name, job in spec.jobs.items() if name in wanted)


def load_spec(path: Path, var_overrides: Mapping[str, str] | None = None) -> Spec:
    """Load, validate and resolve a spec; raise SpecError listing every problem."""
    display = str(path)
    shown = safe(display)
    if "\0" in display:
        raise SpecError(f"spec file {shown} cannot be read: a path cannot contain a NUL character")
    path = Path(os.path.abspath(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(f"spec file {shown} not found (looked for {safe(path)})") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {shown} is a directory") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec file {shown} is not valid UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise SpecError(f"spec file {shown} cannot be read: {exc.strerror}") from None
    try:
        document = load_yaml(text, display)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        detail = exc.problem or exc.context or "syntax error"
        raise SpecError(f"{where}: invalid YAML: {safe(detail)}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{shown}: invalid YAML: {safe(exc)}") from None
    return _Resolver(path, display, document, dict(var_overrides or {})).spec()


class _Resolver:
    """Turns a parsed document into a Spec, collecting every problem on the way."""

    def __init__(self, path: Path, display: str, document: YamlDocument, overrides: dict[str, str]) -> None:
        self.path = path
        self.display = display
        self.data = document.data
        self.lines = document.lines
        self.overrides = overrides
        self.provider = ProviderConfig()  # the spec's, once resolved: jobs are checked against its type
        self.problems: list[tuple[int, str]] = [
            (line, self._format(line, field, message)) for line, field, message in document.problems
        ]

    def spec(self) -> Spec:
        if self.data is None and not self.problems:
            raise SpecError(f"spec file {self.display} is empty; it needs at least 'version: 1' and 'jobs:'")
        if not isinstance(self.data, dict):
            if not self.problems:
                self._problem((), f"the spec must be a mapping (version, provider, vars, defaults, jobs), "
                                  f"not {type_words(self.data)}")
            self._raise()
        if self.data is not None:
            for line, field, message in schema_problems(self.data, self.lines):
                self.problems.append((line, self._format(line, field, message)))
        if self.problems:
            self._raise()
        spec = self._resolve()
        if self.problems:
            self._raise()
        return spec

    def _not_a_spec(self) -> str | None:
        """Why the file is plainly something else (a CI workflow, a compose file), or None."""
        data = self.data
        if not isinstance(data, dict) or "version" in data:
            return None
        known = spec_schema()["properties"]
        if all(key in known for key in data):
            return None
        jobs = data.get("jobs")
        steps = isinstance(jobs, dict) and any(
            isinstance(job, dict) and ("runs-on" in job or "steps" in job) for job in jobs.values())
        if steps:
            return "it looks like a GitHub Actions workflow"
        return "it has no 'version: 1' and keys a spec does not have"

    # -- problems

    def _format(self, line: int, field: str, message: str) -> str:
        text = f"{self.display}:{line}: {field}: {message}" if field else f"{self.display}:{line}: {message}"
        return safe(text)  # spec text may hold control characters: shown escaped, never sent to a terminal

    def _problem(self, path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        line = self.lines.of_key(path) if key else self.lines.of(path)
        self.problems.append((line, self._format(line, format_path(path), message)))

    def _raise(self) -> None:
        problems = [text for _, text in sorted(self.problems, key=lambda item: item[0])]
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        foreign = self._not_a_spec()
        if foreign:
            raise SpecError(f"{safe(self.display)} is not a specrun spec: {foreign} ({count}); a spec starts "
                            f"with 'version: 1' and lists jobs: with model, data and messages "
                            f"(see docs/spec.md):", problems=problems)
        raise SpecError(f"{safe(self.display)} is invalid ({count}):", problems=problems)

    # -- resolution (the document is schema-valid from here on)

    def _resolve(self) -> Spec:
        data = self.data
        base_dir = self.path.parent
        variables = self._vars(data.get("vars") or {})
        self.provider = provider_config(data.get("provider"))
        defaults = data.get("defaults") or {}
        self._check_templates(defaults, ("defaults",))
        jobs: dict[str, Job] = {}
        for name, section in (data.get("jobs") or {}).items():
            self._check_templates(section, ("jobs", name))
            job = self._job(name, section, defaults, base_dir)
            if job is not None:
                jobs[name] = job
        self._check_outputs(jobs, base_dir)
        jobs = self._link_pipelines(jobs)
        budget = data.get("budget") or {}
        return Spec(
            path=self.path,
            base_dir=base_dir,
            version=data["version"],
            provider=self.provider,
            vars=variables,
            jobs=jobs,
            budget_max_cost_usd=budget.get("max_cost_usd"),
            display_path=self.display,
            warnings=tuple(warning for job in jobs.values() for warning in job.warnings),
            backend=backend_config(data.get("backend")),
            prices={model: (float(p["input"]), float(p["output"])) for model, p in (data.get("prices") or {}).items()},
        )

    def _link_pipelines(self, jobs: dict[str, Job]) -> dict[str, Job]:
        """Point each ``data: {job: NAME}`` at that job's results file; refuse unknown jobs and cycles."""
        linked = dict(jobs)
        for name, job in jobs.items():
            upstream = job.data.job
            if upstream is None:
                continue
            where = ("jobs", name, "data", "job")
            if upstream not in jobs:
                if upstream in (self.data.get("jobs") or {}):
                    continue  # the upstream itself is invalid: its own problem is reported
                hint = did_you_mean(upstream, jobs)
                self._problem(where, f"job {upstream!r} is not in the spec{hint}; job {name!r} reads its results "
                                     "(remove or rename both together)")
                continue
            source = jobs[upstream]
            linked[name] = replace(job, data=replace(job.data, path=source.output,
                                                     display_path=source.output_display))
        cycle = find_cycle({name: job.data.job for name, job in jobs.items() if job.data.job in jobs})
        if cycle:
            steps = " → ".join(f"{step} ({self.display}:{self.lines.of(('jobs', step, 'data', 'job'))})"
                               for step in cycle[:-1])
            self._problem(("jobs", cycle[0], "data", "job"),
                          f"the jobs read each other's results in a circle: {steps} → {cycle[-1]}")
        return linked

    def _check_outputs(self, jobs: Mapping[str, Job], base_dir: Path) -> None:
        """Refuse outputs that would overwrite another job's results, a data file, the spec or state."""
        def where(job: Job) -> tuple[Any, ...]:
            # the job's `output:` key, or the job's own key when the output is the default
            if "output" in self.data["jobs"][job.name]:
                return ("jobs", job.name, "output")
            return ("jobs", job.name)

        spec_file = _real(self.path)
        working_dir = _real(base_dir / ".specrun")
        data_files: dict[Path, list[str]] = {}
        for job in jobs.values():
            if job.data.path is not None:
                data_files.setdefault(_real(job.data.path), []).append(job.name)
        writers: dict[Path, list[Job]] = {}
        for job in jobs.values():
            writers.setdefault(_real(job.output), []).append(job)

        for job in jobs.values():
            problem = _output_problem(job.output_display, job.output, base_dir)
            if problem:
                self._problem(where(job), f"job {job.name!r} output {job.output_display} {problem}; output: names "
                                          f"the results file (e.g. results/{job.name}.jsonl)", key=True)

        for output, group in writers.items():
            if len(group) > 1:
                both = "both" if len(group) == 2 else "all"
                # reported once, at the first job that repeats an earlier job's output
                field_path = where(group[1])
                self._problem(field_path, f"jobs {_and_list([job.name for job in group])} {both} write results "
                                          f"to {group[1].output_display}; give each job its own output", key=True)
            readers = data_files.get(output, [])
            for job in group:
                field_path = where(job)
                shown = job.output_display
                if readers:
                    whose = f"job {readers[0]!r}" if len(readers) == 1 else f"jobs {_and_list(readers)}"
                    own = " (its own input)" if readers == [job.name] else ""
                    self._problem(field_path, f"job {job.name!r} output {shown} is the data file of {whose}{own}",
                                  key=True)
                if output == spec_file:
                    self._problem(field_path, f"job {job.name!r} output {shown} is the spec file "
                                              f"{self.display} itself", key=True)
                if output.is_relative_to(working_dir):  # .specrun itself, or anything under it
                    self._problem(field_path, f"job {job.name!r} output {shown} is inside .specrun/, where "
                                              f"specrun keeps its own working files (state, build, downloads)",
                                  key=True)

    def _vars(self, declared: dict[str, Any]) -> dict[str, Any]:
        variables = dict(declared)
        for name, value in self.overrides.items():
            if not _VAR_NAME.fullmatch(name):
                self.problems.append((0, safe(f"--var {name!r}: var names may only contain letters, digits and '_' "
                                              f"and must not start with a digit")))
                continue
            if name not in declared:
                hint = did_you_mean(name, declared)
                self.problems.append((0, safe(f"--var {name}={value}: no var {name!r} in {self.display}{hint}; "
                                              f"declare it under vars:")))
                continue
            variables[name] = value
        return variables

    def _check_templates(self, section: Mapping[str, Any], path: tuple[Any, ...]) -> None:
        templates: list[tuple[tuple[Any, ...], str]] = []
        if isinstance(section.get("id"), str):
            templates.append(((*path, "id"), section["id"]))
        for index, message in enumerate(section.get("messages") or ()):
            templates.append(((*path, "messages", index, "content"), message["content"]))
        if isinstance(section.get("input"), str):
            templates.append(((*path, "input"), section["input"]))
        for field_path, source in templates:
            try:
                compile_template(source)
            except jinja2.TemplateSyntaxError as exc:
                self._problem(field_path, f"template error (template line {exc.lineno}): {exc.message}")

    def _job(self, name: str, section: Mapping[str, Any], defaults: Mapping[str, Any], base_dir: Path) -> Job | None:
        path = ("jobs", name)
        ok = True
        model = section.get("model", defaults.get("model"))
        if model is None:
            self._problem(path, "no model (set model: here or under defaults:)", key=True)
            ok = False
        provider_type = self.provider.type
        prompt = job_prompt(name, section, defaults, provider_type, self._problem)
        params = job_params(name, section, defaults, prompt.kind, provider_type, self._problem) if prompt else None
        output_schema = None
        if "output_schema" in section:
            output_schema, _source, problem = load_output_schema(section["output_schema"], base_dir)
            if problem:
                self._problem((*path, "output_schema"), problem)
                ok = False
            elif output_schema is not None and prompt is not None and params is not None:
                ok = structured_params(name, prompt.kind, output_schema, params, self._problem) and ok
        exports_display = tuple(section.get("exports") or ())
        for index, export in enumerate(exports_display):
            if Path(export).suffix.lower() not in EXPORT_SUFFIXES or "\0" in export:
                self._problem((*path, "exports", index), f"{export!r}: an export is a .csv or .parquet file")
                ok = False
        data = self._data(name, section, base_dir)
        if data is None or prompt is None or params is None or not ok:
            return None
        limits = asdict(Limits(**{**(defaults.get("limits") or {}), **(section.get("limits") or {})}))
        if not limits_fit(name, section, limits, provider_type, self._problem):
            return None
        budget = {**(defaults.get("budget") or {}), **(section.get("budget") or {})}
        id_template = section.get("id", defaults.get("id", DEFAULT_ID_TEMPLATE))
        on_too_long = section.get("on_too_long", defaults.get("on_too_long", "error"))
        dedupe = section.get("dedupe", defaults.get("dedupe", True))
        output_display = section.get("output", f"results/{name}.jsonl")
        if "\0" in output_display:
            self._problem((*path, "output"), "a path cannot contain a NUL character")
            return None
        messages = tuple(
            Message(role=m["role"], content=m["content"],
                    line=self.lines.of((*prompt.messages_from, "messages", i, "content")))
            for i, m in enumerate(prompt.messages or ())
        )
        url = prompt.kind.url
        resolved = {
            "model": model,
            **({"messages": [{"role": m.role, "content": m.content} for m in messages]} if prompt.input is None
               else {"endpoint": url, "input": prompt.input}),
            "params": params,
            "id": id_template,
            "data": ({"rows": list(data.rows)} if data.rows is not None
                     else {"job": data.job, "include_errors": data.include_errors} if data.job is not None
                     else {"path": data.display_path, "format": data.format}),
            "limits": limits,
            "on_too_long": on_too_long,
            "dedupe": dedupe,
            "exports": list(exports_display),
            "budget": budget,
            "output": output_display,
            "description": section.get("description"),
        }
        return Job(
            name=name,
            model=model,
            messages=messages,
            params=params,
            data=data,
            id_template=id_template,
            output=_absolute(base_dir, output_display),
            output_display=output_display,
            limits=Limits(**limits),
            budget_max_cost_usd=budget.get("max_cost_usd"),
            on_too_long=on_too_long,
            dedupe=dedupe,
            output_schema=output_schema,
            exports=tuple(_absolute(base_dir, e) for e in exports_display),
            exports_display=exports_display,
            line=self.lines.of_key(path),
            resolved=resolved,
            description=section.get("description"),
            id_line=self.lines.of((*path, "id")) if "id" in section else self.lines.of(("defaults", "id")),
            warnings=self._job_warnings(name, params, url),
            endpoint=url,
            input=prompt.input,
            input_line=self.lines.of((*prompt.input_from, "input")) if prompt.input is not None else None,
        )

    def _job_warnings(self, name: str, params: Mapping[str, Any], url: str) -> tuple[str, ...]:
        if sets_output_limit(params, url):
            return ()
        line = self.lines.of_key(("jobs", name))
        if url != CHAT_COMPLETIONS:
            return (self._format(line, "", f"job {name!r} sets no max_output_tokens: each answer is bounded only by "
                                           f"the model's context length, so the cost estimate's upper end will be "
                                           f"very wide; set params.max_output_tokens"),)
        return (self._format(line, "", f"job {name!r} sets no max_tokens: each reply is bounded only by the "
                                       f"model's context length, so the cost estimate's upper end will be very "
                                       f"wide; set params.max_tokens (or max_completion_tokens)"),)

    def _data(self, name: str, section: Mapping[str, Any], base_dir: Path) -> DataSpec | None:
        path = ("jobs", name)
        if "data" in section and "rows" in section:
            self._problem((*path, "rows"), "use either data: or rows:, not both", key=True)
            return None
        if "rows" in section:
            rows = section["rows"]
            return DataSpec(
                rows=tuple(rows),
                line=self.lines.of_key((*path, "rows")),
                row_lines=tuple(self.lines.of((*path, "rows", i)) for i in range(len(rows))),
            )
        if "data" not in section:
            self._problem(path, "no data (add data: <file> or rows: [...])", key=True)
            return None
        data = section["data"]
        if isinstance(data, Mapping) and ("job" in data or "include_errors" in data):
            if "job" not in data or "path" in data or "format" in data:
                self._problem((*path, "data"), "data: {job: NAME} reads another job's results: it takes job: "
                                               "and include_errors:, not path: or format:")
                return None
            return DataSpec(job=data["job"], include_errors=bool(data.get("include_errors", False)),
                            format="results", line=self.lines.of((*path, "data")))
        if isinstance(data, Mapping) and "path" not in data:
            self._problem((*path, "data"), "data: needs path: (a data file) or job: (another job's results)")
            return None
        file, fmt = (data, None) if isinstance(data, str) else (data["path"], data.get("format"))
        data_path = path + (("data",) if isinstance(data, str) else ("data", "path"))
        if "\0" in file:
            self._problem(data_path, "a path cannot contain a NUL character")
            return None
        if os.path.basename(file) in ("", ".", "..") or _is_dir(_absolute(base_dir, file)):
            self._problem(data_path, f"{file} is a folder; data: names one data file (csv, jsonl, json or parquet)")
            return None
        fmt = fmt or format_from_extension(file)
        if fmt is None:
            self._problem((*path, "data"), f"cannot tell the format of {file!r} from its extension; "
                                            f"write data: {{path: {file}, format: csv|jsonl|json|parquet}}")
            return None
        return DataSpec(path=_absolute(base_dir, file), display_path=file, format=fmt,
                        line=self.lines.of((*path, "data")))


def _absolute(base_dir: Path, path: str) -> Path:
    return Path(os.path.normpath(base_dir / os.path.expanduser(path)))


def _output_problem(written: str, output: Path, base_dir: Path) -> str | None:
    """Why ``output`` (written as ``written``) can never be a results file, or None.

    Only what the spec alone decides; whether the folder is writable is checked by
    apply, before anything is uploaded.
    """
    separators = tuple(sep for sep in (os.sep, os.altsep) if sep)
    if written.endswith(separators) or os.path.basename(written) in ("", ".", ".."):
        return "names a folder"
    try:
        if output.is_dir():
            return "is an existing folder"
        folder = output.parent
        while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
            folder = folder.parent
        if folder.exists() and not folder.is_dir():
            try:
                shown = folder.relative_to(base_dir)
            except ValueError:
                shown = folder
            return f"cannot be written: {shown} is a file, not a folder"
    except OSError:  # unreadable folders: apply says what it cannot write, before uploading
        return None
    return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _and_list(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _real(path: Path) -> Path:
    """``path`` with symlinks resolved as far as it exists (it need not exist)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare it as written
        return path
