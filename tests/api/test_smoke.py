from tests.support import Api


async def test_viewer(api: Api) -> None:
    data = await api.ok("{ viewer { role organization { name } } }")
    assert data == {"viewer": {"role": "ADMIN", "organization": {"name": "Acme"}}}
