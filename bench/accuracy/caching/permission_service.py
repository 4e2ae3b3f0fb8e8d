"""Django service layer: permission checks with in-process memoization."""

from __future__ import annotations

from functools import cached_property, lru_cache

from django.contrib.auth.models import Group

from projects.models import Membership, Project


class PermissionService:
    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id

    @cached_property
    def admin_group_ids(self) -> frozenset[int]:
        return frozenset(
            Group.objects.filter(name__startswith=f"org-{self.organisation_id}-admin").values_list("id", flat=True)
        )

    @lru_cache(maxsize=None)  # expect: RB302
    def role(self, user_id: int, project_id: int) -> str | None:
        membership = Membership.objects.filter(user_id=user_id, project_id=project_id).only("role").first()
        return membership.role if membership else None

    def can_edit(self, user, project: Project) -> bool:
        if set(user.groups.values_list("id", flat=True)) & self.admin_group_ids:
            return True
        return self.role(user.id, project.id) in {"owner", "editor"}


@lru_cache(maxsize=4096)
def project_slug(project_id: int) -> str:
    return Project.objects.values_list("slug", flat=True).get(pk=project_id)


@lru_cache(maxsize=None)  # expect: RB302
def visible_projects(request) -> list[int]:
    return list(Project.objects.filter(members=request.user).values_list("id", flat=True)[:200])
