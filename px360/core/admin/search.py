"""Searching a long list by the person its rows are about.

Invitations, responses and messages number in the millions; what a
coordinator types is the patient's MRN, phone number or name. The person is
found first, through their own table's indexes (the MRN with its hospital,
the national ID, the phone number, the trigram-indexed folded name), and the
list is then read by foreign key for just those people. Joining the two
tables and filtering instead lets the database walk the whole list looking
for a rare patient.

:class:`PersonSearchMixin` does this for any list, given the path to the
person and the matcher that says what a term matches on them
(``px360.organizations.search.patient_match``). The search stays inside the
user's scope twice over: people are looked up only in the user's hospitals,
and the list being narrowed is the admin's scoped queryset. Finding rows by
who they are about is a read of that person, so it needs the permission to
view such people: without it the search box is not offered and a search
finds nothing. Every search is audited, found or not.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from px360.core.access import hospital_ids_for, model_access
from px360.core.services import audit_search


class PersonSearchMixin:
    """A list searched by the person its rows are about (and, optionally, by its own exact keys).

    Declare ``person_path`` (``"patient"``, ``"instance__patient"``),
    ``person_model`` (``"organizations.Patient"``) and ``person_match``
    (``staticmethod(patient_match)``); override :meth:`own_search` for exact
    matches on the listed rows themselves. ``search_fields`` only has to be
    non-empty (Django shows the search box only then); it is not used.
    """

    person_path: str = ""
    person_model: str = ""
    person_match = None
    #: Up to this many matching people are looked up by id; past it (a common
    #: name) the list is joined to the people's table instead.
    person_match_limit = 1000

    def own_search(self, request, term: str, hospital_ids: list) -> Q | None:
        """Exact matches on the listed rows themselves (an encounter number, a recipient), or ``None``."""
        return None

    def _person_model(self):
        return apps.get_model(self.person_model)

    def may_search_people(self, request) -> bool:
        opts = self._person_model()._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def get_search_fields(self, request):
        if not self.may_search_people(request):
            return ()
        return super().get_search_fields(request)

    def _search_hospitals(self, request) -> list:
        """The user's hospitals; every hospital for a user of the whole group.

        Naming them even for the whole group lets the database probe the
        (hospital, MRN) index instead of scanning for the MRN.
        """
        hospital_ids = hospital_ids_for(request.user)
        if hospital_ids is not None:
            return list(hospital_ids)
        hospital_path = model_access(self._person_model()).hospital
        hospital_model = self._person_model()._meta.get_field(hospital_path).related_model
        manager = getattr(hospital_model, "all_objects", None) or hospital_model._default_manager
        return list(manager.values_list("pk", flat=True))

    def person_condition(self, term: str, hospital_ids: list) -> Q | None:
        """What the term matches among the listed rows through their person, or ``None``."""
        match = self.person_match(term, hospital_ids=hospital_ids)
        if match is None:
            return None
        model = self._person_model()
        hospital_path = model_access(model).hospital
        people = model._default_manager.filter(**{f"{hospital_path}__in": hospital_ids}).filter(match)
        ids = list(people.order_by().values_list("pk", flat=True)[: self.person_match_limit + 1])
        if len(ids) <= self.person_match_limit:
            return Q(**{f"{self.person_path}__in": ids}) if ids else None
        # A common name: too many people to list by id. The join finds a page
        # of the list's newest rows within a short walk.
        condition = self.person_match(term, path=f"{self.person_path}__", hospital_ids=hospital_ids)
        if hasattr(model, "all_objects"):
            condition &= Q(**{f"{self.person_path}__deleted_at__isnull": True})
        return condition

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        audit_search(request=request, model=self.model, term=term)
        if not self.may_search_people(request):
            return queryset.none(), False
        hospital_ids = self._search_hospitals(request)
        conditions = [
            condition
            for condition in (self.person_condition(term, hospital_ids), self.own_search(request, term, hospital_ids))
            if condition is not None
        ]
        if not conditions:
            return queryset.none(), False
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        return queryset.filter(combined), False
