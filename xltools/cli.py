"""The ``xltools`` command line: a click group whose commands are thin twins of the library.

Each command parses its options, calls one public function of :mod:`xltools`, and renders the
result in Chinese.  Errors: an :class:`~xltools.errors.XltoolsError` is printed once as
``错误：<one line>`` on stderr with exit code 1 and no traceback (``xltools --debug …`` shows
it); usage errors exit 2 (click's convention).  Exit codes (DESIGN.md §6): 0 done; 1 done but
the data has errors (merge/check), or a failure; 2 usage error.
"""

from __future__ import annotations

import sys
import traceback

import click

from . import __version__
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


class _Command(click.Command):
    """A command whose --help option is described in Chinese."""

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
            click.echo(f"错误：{exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("错误：已中断", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, and how to report it
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(
                f"错误：内部错误 {type(exc).__name__}: {exc}（请用 xltools --debug 重新运行，并把输出反馈给开发者）",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
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
      xltools report     用汇总指标填写 Word 报告模板（汇报材料、通报表彰、事迹汇编）
      xltools demo       用随附的示例数据演示完整流程

    每个命令都可以加 --help 查看用法。
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# Each command lives in its own module under xltools/commands/ and registers itself on `cli`.
from . import commands  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="xltools")


if __name__ == "__main__":
    main()
