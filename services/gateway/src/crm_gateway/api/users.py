"""``/api/users``: create and list users (admin), and who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody

from crm_gateway.api.auth import client_address, too_many
from crm_gateway.api.schemas import PasswordChange, TokenResponse, UserCreate, UserOut, UserPage
from crm_gateway.auth.middleware import requires_role
from crm_gateway.domain.users import User
from crm_gateway.routing import Forwarder
from crm_gateway.service_layer import BadCredentials, ChangePassword, CreateUser, Throttled, UseCases
from crm_kit.pagination import Limit, Offset


class UsersController(Controller):
    """Users and roles."""

    path = "/api/users"
    tags = ["users"]

    @post("/", guards=[requires_role("admin")], summary="Create a user (admin)")
    async def create(
        self,
        request: Request[User, Any, Any],
        data: JSONBody[UserCreate],
        uses: NamedDependency[UseCases],
        forwarder: NamedDependency[Forwarder],
    ) -> UserOut:
        """A user linked to a staff member puts their login on the staff record too (the staff directory shows it)."""
        staff_id = str(data.staff_id) if data.staff_id else None
        user = await uses.create_user(CreateUser(data.username, data.password, data.role, staff_id, data.language))
        if staff_id:
            await forwarder.link_staff_login(request.user, staff_id, user.username)
        return UserOut.of(user)

    @get("/", guards=[requires_role("admin")], summary="List users (admin)")
    async def listing(
        self,
        uses: NamedDependency[UseCases],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> UserPage:
        users, total = await uses.users(limit, offset)
        return UserPage([UserOut.of(u) for u in users], total)

    @get("/me", summary="The logged-in user")
    async def me(self, request: Request[User, Any, Any], uses: NamedDependency[UseCases]) -> UserOut:
        stored = await uses.user(request.user.id)
        return UserOut.of(stored or request.user)

    @put("/me/password", summary="Change my password; every other session and token of mine ends")
    async def change_password(
        self, request: Request[User, Any, Any], data: JSONBody[PasswordChange], uses: NamedDependency[UseCases]
    ) -> TokenResponse:
        """A fresh access token: the one that made this call stops working, as do all older ones."""
        try:
            command = ChangePassword(request.user.id, data.current_password, data.new_password, client_address(request))
            changed = await uses.change_password(command)
        except BadCredentials:
            raise PermissionDeniedException("the current password is wrong") from None
        except Throttled as exc:
            raise too_many(exc) from None
        return TokenResponse(access_token=changed.access_token)
