import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cms.accounts.models import User
from cms.accounts.roles import ADMINISTRATOR, EDITOR
from tests.access import assert_refused_in_admin
from tests.factories import PASSWORD, OrganisationUnitFactory, UserFactory
from tests.html import soup

URL = "/admin/accounts/import-people/"
ROSTER = "姓名,工号,支部,身份\n张三,1001,第一党支部,正式党员\n李四,1002,第一党支部,入党申请人\n".encode()


def upload(data, name="名单.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def admin_client(client, home):
    OrganisationUnitFactory(name="第一党支部")
    client.login(username=UserFactory(groups=[ADMINISTRATOR], is_staff=False).username, password=PASSWORD)
    return client


def test_upload_shows_the_report_and_confirm_imports(admin_client):
    assert reverse("accounts_people_import") == URL
    assert f'"url": "{URL}"' in admin_client.get(reverse("wagtailadmin_home")).content.decode()
    response = admin_client.post(URL, {"file": upload(ROSTER)})
    text = response.content.decode()
    assert "检查通过（尚未导入）：将新建 2 人" in text and "确认导入" in text
    assert soup(response).select_one("header h1").get_text(strip=True) == "批量导入人员"
    assert not User.objects.filter(username="1001").exists()
    response = admin_client.post(URL, {"confirm": "1"}, follow=True)
    assert "导入完成：新建 2 人" in response.content.decode()
    assert User.objects.get(username="1001").membership.get_status_display() == "正式党员"


def test_bad_file_lists_lines_and_offers_no_confirm(admin_client):
    response = admin_client.post(URL, {"file": upload(ROSTER + "王五,1003,第九党支部,正式党员\n".encode())})
    text = response.content.decode()
    assert "第4行" in text and "未知的支部「第九党支部」" in text
    assert "确认导入" not in text
    admin_client.post(URL, {"confirm": "1"})
    assert not User.objects.filter(username="1001").exists()


def test_editors_cannot_import(client, home):
    client.login(username=UserFactory(groups=[EDITOR]).username, password=PASSWORD)
    assert f'"url": "{URL}"' not in client.get(reverse("wagtailadmin_home")).content.decode()
    response = client.post(URL, {"file": upload(ROSTER)})
    assert_refused_in_admin(response)
    assert not User.objects.filter(username="1001").exists()
