"""The ``xltools`` command line: a click group whose commands are thin twins of the library.

Each command parses its options, calls one public function of :mod:`xltools`, and renders the
result in Chinese.  Errors: an :class:`~xltools.errors.XltoolsError` is printed once as
``错误：<one line>`` on stderr with exit code 1 and no traceback (``xltools --debug …`` shows
it); usage errors exit 2 (click's convention).  Exit codes (DESIGN.md §6): 0 done; 1 done but
the data has errors (merge/check), or a failure; 2 usage error.
"""

from __future__ import annotations

import re
import sys
import traceback

import click

from . import __version__
from ._io import readable_text
from .errors import XltoolsError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Formatter(click.HelpFormatter):
    """Help text headings in Chinese (click's own are English)."""

    _HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix if prefix is not None else "用法：")

    def section(self, name: str):
        return super().section(self._HEADINGS.get(name, name))


click.Context.formatter_class = _Formatter

#: click's own messages (usage errors, help markers) in Chinese.  click looks them up through
#: ``gettext.gettext`` bound as ``_`` in each of its modules; we rebind that name.
_CLICK_ZH = {
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 {command} {option} 查看用法。",
    "Invalid value: {message}": "参数值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Aborted!": "已中止。",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Usage:": "用法：",
    "required": "必填",
    "default: {default}": "默认：{default}",
    "Show the version and exit.": "显示版本号并退出。",
    "Show this message and exit.": "显示本帮助并退出。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    # ngettext: (singular, plural) → one Chinese text for both
    "Did you mean {possibility}?": "是否要用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否要用其中之一：{possibilities}？）",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
}


class _ErrorLine(str):
    """click's "Error: {message}" in Chinese, whose ``format`` also mends the punctuation click
    adds around its (translated) parts with f-strings: a full stop after a quoted name
    (``缺少参数 '表单定义'.``), a space after 。 before its suggestion, ", " between choices."""

    def format(self, *args: object, **kwargs: object) -> str:
        message = kwargs.get("message")
        if isinstance(message, str):
            message = re.sub(r"(['\"])\.(?=\s|$)", r"\1。", message)
            kwargs["message"] = message.replace("。 ", "。").replace("', '", "'、'")
        return super().format(*args, **kwargs)


def _zh(message: str) -> str:
    if message == "Error: {message}":
        return _ErrorLine(_CLICK_ZH[message])
    return _CLICK_ZH.get(message, message)


def _zh_n(singular: str, plural: str, n: int) -> str:
    text = singular if n == 1 else plural
    return _CLICK_ZH.get(text, text)


# click's modules as loaded by ``import click`` (its option parser is click.parser, or
# click._parser in later releases)
for _name in ("core", "exceptions", "formatting", "types", "decorators", "parser", "_parser"):
    _module = sys.modules.get(f"click.{_name}")
    if _module is None:
        continue
    if hasattr(_module, "_"):
        _module._ = _zh  # type: ignore[attr-defined]
    if hasattr(_module, "ngettext"):
        _module.ngettext = _zh_n  # type: ignore[attr-defined]


class _Command(click.Command):
    """A command whose --help option is described in Chinese."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context):
        opt = super().get_help_option(ctx)
        if opt is not None:
            opt.help = "显示本帮助并退出。"
        return opt


class _Group(click.Group):
    """Renders XltoolsError (and unexpected exceptions) as one line instead of a traceback."""

    command_class = _Command

    def get_help_option(self, ctx: click.Context):
        opt = super().get_help_option(ctx)
        if opt is not None:
            opt.help = "显示本帮助并退出。"
        return opt

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XltoolsError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(readable_text(f"错误：{exc}"), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("错误：已中断", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            # The reader of stdout went away (``xltools report --list-vars … | head``): not an
            # error of ours.  click's own main() handles it (errno EPIPE: stdout and stderr
            # pacified so the interpreter's last flush stays quiet, exit code 1).
            raise
        except Exception as exc:  # a bug: still one line, and how to report it
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(readable_text(
                f"错误：内部错误 {type(exc).__name__}: {exc}（请用 xltools --debug 重新运行，并把输出反馈给开发者）"),
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS, options_metavar="[选项]",
             subcommand_metavar="命令 [参数]...")
@click.version_option(
    __version__, "-V", "--version", prog_name="xltools", message="%(prog)s %(version)s", help="显示版本号并退出。"
)
@click.option("--debug", is_flag=True, help="出错时显示完整的调用栈（供开发者排查）。")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """xltools：下发登记表、汇总报送文件、起草文稿。

    \b
    一次填报的流程：
      xltools generate   按表单定义和填报单位名单，为每个单位生成带标识的登记表
      xltools check      检查一个报送文件，列出问题
      xltools merge      汇总全部报送文件，生成汇总表、报送情况和问题清单
      xltools feedback   为有错误的单位生成退回修改的工作簿，为未报送的单位生成催报名单
      xltools report     用汇总指标填写 Word 报告模板（汇报材料、通报表彰、事迹汇编）
      xltools ballot     生成“十佳”评选的无记名推荐票
      xltools tally      统计推荐票，得出“十佳”名单（并列不擅自取舍）
      xltools demo       用随附的示例数据演示完整流程

    每个命令都可以加 --help 查看用法。
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# Each command lives in its own module under xltools/commands/ and registers itself on `cli`.
from . import commands  # noqa: E402,F401


def _stop_on_term() -> None:
    """SIGTERM (``kill``, ``timeout``) and SIGHUP (a closed terminal) end the command like
    Ctrl-C, unwinding normally, so temporary files (merge's spilled rows) are removed."""
    import signal

    def stop(signum, frame):  # noqa: ARG001 - signal handler signature
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, stop)


def _no_crash_on_odd_text() -> None:
    """Standard output and error write a character their encoding cannot hold as an escape
    instead of raising.  A file name in GBK on a UTF-8 system reaches Python as lone surrogates
    (PEP 383); xltools shows the names it knows decoded (:func:`xltools._io.readable_name`), and
    this keeps any it does not from ending a finished command with 内部错误."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main() -> None:
    """Console-script entry point."""
    _stop_on_term()
    _no_crash_on_odd_text()
    cli(prog_name="xltools")


if __name__ == "__main__":
    main()
