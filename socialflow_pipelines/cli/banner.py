"""What `socialflow demo` prints once the API and the UI answer: where they are, the secret the
tokens are signed with, tokens for an admin, a plain user and a content owner, and curl lines
that work as printed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from socialflow_pipelines.config import Settings
from socialflow_pipelines.serving.auth import issue_token


@dataclass(frozen=True)
class DemoAccounts:
    admin_id: str
    user_id: str
    owner_id: str
    owned_post_id: str


def demo_accounts(world: dict[str, pl.DataFrame]) -> DemoAccounts:
    """The first admin; the most active plain user (recommendations have most to say about them);
    the author of the newest post (a content owner, who may ask for its analysis)."""
    users, posts = world["users"], world["posts"]
    admin_id = str(users.filter(pl.col("is_admin"))["id"].min())
    plain = users.filter(~pl.col("is_admin"))["id"]
    events = world["engagement_events"].filter(pl.col("user_id").is_in(plain))
    user_id = str(
        events.group_by("user_id").len().sort(["len", "user_id"], descending=[True, False])["user_id"][0]
    )
    newest = posts.filter(pl.col("user_id").is_in(plain)).sort("created_at").tail(1)
    return DemoAccounts(admin_id, user_id, str(newest["user_id"][0]), str(newest["id"][0]))


def demo_banner(
    accounts: DemoAccounts,
    *,
    settings: Settings,
    api_base: str,
    ui_base: str,
    seconds_to_ready: float,
    log_dir: Path,
) -> str:
    assert settings.jwt_secret is not None
    admin = issue_token(accounts.admin_id, is_admin=True, settings=settings)
    user = issue_token(accounts.user_id, settings=settings)
    owner = issue_token(accounts.owner_id, settings=settings)
    ml = f"{api_base}/api/v1/ml"
    return "\n".join(
        [
            "",
            f"Ready in {seconds_to_ready:.0f} s.  Dagster UI: {ui_base}   API docs: {api_base}/docs",
            "Schedules and sensors are running (trending every 15 min, recommendations hourly, moderation",
            f"of new content within a minute). Server logs: {log_dir}",
            "",
            "For `socialflow token` / `socialflow post` in another shell (`source .venv/bin/activate`):",
            f"  export SOCIALFLOW_JWT_SECRET='{settings.jwt_secret.get_secret_value()}'",
            "",
            f"ADMIN_TOKEN={admin}",
            f"USER_TOKEN={user}   # user {accounts.user_id}",
            f"OWNER_TOKEN={owner}   # user {accounts.owner_id}, author of post {accounts.owned_post_id}",
            "",
            f"curl -H \"Authorization: Bearer $USER_TOKEN\" '{ml}/trending?content_type=video'",
            f"curl -H \"Authorization: Bearer $USER_TOKEN\" '{ml}/recommendations?content_type=video'",
            "curl -H \"Authorization: Bearer $OWNER_TOKEN\" -H 'Content-Type: application/json' \\",
            f'  -d \'{{"content_type": "post", "content_id": "{accounts.owned_post_id}"}}\' {ml}/analyze',
            "curl -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/json' \\",
            f'  -d \'{{"text": "WIN a FREE iPhone!!! click http://bit.ly/xyz now"}}\' {ml}/moderate',
            "",
            "A new post for the sensor to moderate (its run appears in the UI under Runs):",
            '  socialflow post --text "hello from the demo"',
            "Ctrl-C stops the API, the UI and the daemon.",
        ]
    )
