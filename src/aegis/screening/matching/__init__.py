"""Explainable name matching for sanctions and PEP screening.

Pure code: no I/O. :func:`compare` scores a :class:`Query` against one
:class:`~aegis.screening.entities.ListEntity`; :class:`NameIndex` retrieves candidates among
many entities (list entities queried by a customer, or customers queried by a list entity)
and scores only those. Every :class:`MatchResult` carries the named features its score is
the sum of; :data:`FEATURES` documents each of them.

    >>> from aegis.screening.entities import EntityType, ListEntity
    >>> entity = ListEntity(key="1", type=EntityType.PERSON, name="AL-TIKRITI, Saddam Hussein")
    >>> compare(Query.of("صدام حسين التكريتي"), entity).match
    True
"""

from aegis.screening.matching._compare import compare
from aegis.screening.matching._features import FEATURES
from aegis.screening.matching._index import NameIndex
from aegis.screening.matching._model import DEFAULT_THRESHOLD, FeatureValue, MatchResult, Query

__all__ = [
    "DEFAULT_THRESHOLD",
    "FEATURES",
    "FeatureValue",
    "MatchResult",
    "NameIndex",
    "Query",
    "compare",
]
