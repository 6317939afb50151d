"""The ``%%dynamo`` statement language: DynamoDB's PartiQL plus a few additions.

`parse` turns statement text into the plain-data AST of `._ast`; errors are `ParseError`
(from `dynamorm_lab.errors`) with a line, a column and a caret under the offending token.
`execute` compiles statements to the core's query specs and runs them through the
connection they are given (the facade); it imports the core, `frames` and the ops' types.
"""

from . import _ast
from ._ast import *  # noqa: F403 - the AST nodes, listed in _ast.__all__
from ._parser import parse

__all__ = [*_ast.__all__, "parse"]  # noqa: PLE0604 - the nodes and the parser
