"""An arithmetic challenge instead of a third-party CAPTCHA (works on air-gapped networks).

The form carries a token signed with settings.secret_key (itsdangerous) holding a random nonce,
its expiry and an HMAC of the expected answer — never the answer itself. A correct answer is
accepted once: its nonce goes into `portal_used_challenges` (primary key), so a replay fails even
across processes.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qingfeng.portal.errors import PortalError
from qingfeng.portal.keys import derive_key, keyed_hash
from qingfeng.portal.models import UsedChallenge
from qingfeng.store.models import utcnow


@dataclass(frozen=True)
class Challenge:
    question: str  # e.g. "12 加 7 等于多少？"
    token: str


class ChallengeBook:
    def __init__(self, secret_key: str, ttl_seconds: int = 900) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="qingfeng.portal.challenge")
        self._key = derive_key(secret_key, "challenge")
        self._ttl = ttl_seconds

    def issue(self) -> Challenge:
        a = secrets.randbelow(90) + 10
        b = secrets.randbelow(90) + 10
        if b > a:
            a, b = b, a
        if secrets.randbelow(2):
            op, answer = "加", a + b
        else:
            op, answer = "减", a - b
        nonce = secrets.token_hex(16)
        token = self._serializer.dumps(
            {"n": nonce, "h": keyed_hash(self._key, f"{nonce}:{answer}")}
        )
        return Challenge(question=f"{a} {op} {b} 等于多少？", token=token)

    def verify(self, session: Session, token: str, answer: str) -> None:
        """Accept a correct, fresh, unused answer, or raise PortalError(field='challenge').

        The nonce is spent before the answer is checked, so each challenge allows one guess:
        callers commit the session even when this raises (see router._spend_challenge)."""
        try:
            data = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired:
            raise PortalError("验证题已过期，请重新作答", field="challenge") from None
        except BadSignature:
            raise PortalError("验证题无效，请刷新页面", field="challenge") from None
        session.execute(delete(UsedChallenge).where(UsedChallenge.expires_at < utcnow()))
        try:
            with session.begin_nested():
                session.add(
                    UsedChallenge(
                        nonce=data["n"], expires_at=utcnow() + timedelta(seconds=self._ttl + 60)
                    )
                )
        except IntegrityError:
            raise PortalError("验证题已使用过，请重新作答", field="challenge") from None
        answer = answer.strip()
        if not answer.lstrip("-").isdigit() or len(answer) > 6:
            raise PortalError("请填写验证题的数字答案", field="challenge")
        expected = keyed_hash(self._key, f"{data['n']}:{int(answer)}")
        if not hmac.compare_digest(expected, str(data.get("h", ""))):
            raise PortalError("验证题答案不正确", field="challenge")
