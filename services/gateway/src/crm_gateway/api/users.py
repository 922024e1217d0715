"""``/api/users``: create and list users (admin), and who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from crm_gateway.accounts import Accounts
from crm_gateway.api.schemas import UserCreate, UserOut, UserPage
from crm_gateway.auth.middleware import requires_role
from crm_gateway.domain.users import User
from crm_kit.pagination import Limit, Offset


class UsersController(Controller):
    """Users and roles."""

    path = "/api/users"
    tags = ["users"]

    @post("/", guards=[requires_role("admin")], summary="Create a user (admin)")
    async def create(self, data: JSONBody[UserCreate], accounts: NamedDependency[Accounts]) -> UserOut:
        user = await accounts.create(data.username, data.password, data.role, data.staff_id, data.language)
        return UserOut.of(user)

    @get("/", guards=[requires_role("admin")], summary="List users (admin)")
    async def listing(
        self,
        accounts: NamedDependency[Accounts],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> UserPage:
        users, total = await accounts.listing(limit, offset)
        return UserPage([UserOut.of(u) for u in users], total)

    @get("/me", summary="The logged-in user")
    async def me(self, request: Request[User, Any, Any], accounts: NamedDependency[Accounts]) -> UserOut:
        stored = await accounts.get(request.user.id)
        return UserOut.of(stored or request.user)
