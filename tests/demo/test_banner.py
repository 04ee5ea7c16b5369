"""What the demo prints once its servers answer: the secret the tokens are signed with, tokens
for an admin, a plain user and a content owner that the API accepts, and curl lines for them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jwt
import polars as pl

from socialflow_demo import WorldConfig, generate_world
from socialflow_pipelines.cli.banner import demo_accounts, demo_banner
from socialflow_pipelines.config import Settings


def test_the_banner_gives_working_tokens_for_three_kinds_of_user() -> None:
    world = generate_world(WorldConfig(users=150, days=2), now=datetime(2026, 11, 30, tzinfo=UTC))
    accounts = demo_accounts(world)
    users = world["users"]
    admins = set(users.filter(pl.col("is_admin"))["id"])
    assert accounts.admin_id in admins
    assert accounts.user_id not in admins and accounts.owner_id not in admins
    owned = world["posts"].filter(pl.col("id") == accounts.owned_post_id)
    assert owned["user_id"].to_list() == [accounts.owner_id]

    settings = Settings()
    banner = demo_banner(
        accounts,
        settings=settings,
        api_base="http://127.0.0.1:8000",
        ui_base="http://127.0.0.1:3000",
        seconds_to_ready=42.0,
        log_dir=Path(".socialflow/logs"),
    )
    secret = settings.jwt_secret.get_secret_value()
    assert f"export SOCIALFLOW_JWT_SECRET='{secret}'" in banner
    tokens = {
        line.split("=", 1)[0]: line.split("=", 1)[1].split()[0]
        for line in banner.splitlines()
        if line.split("=", 1)[0] in ("ADMIN_TOKEN", "USER_TOKEN", "OWNER_TOKEN")
    }
    claims = {name: jwt.decode(token, secret, algorithms=["HS256"]) for name, token in tokens.items()}
    assert claims["ADMIN_TOKEN"]["is_admin"] is True and claims["ADMIN_TOKEN"]["sub"] == str(
        accounts.admin_id
    )
    assert claims["USER_TOKEN"]["is_admin"] is False and claims["USER_TOKEN"]["sub"] == str(accounts.user_id)
    assert claims["OWNER_TOKEN"]["sub"] == str(accounts.owner_id)
    assert f'"content_id": "{accounts.owned_post_id}"' in banner
    assert 'socialflow post --text "hello from the demo"' in banner
    assert "Ready in 42 s." in banner
