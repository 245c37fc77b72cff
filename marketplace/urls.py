from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from listings import urls as listings_urls
from marketplace import site_views, verification_views, views
from marketplace.forms import EmailAuthenticationForm, RecipientLanguagePasswordResetForm

accounts = [
    path("login/", auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("verify-email-again/", views.resend_verification, name="resend_verification"),
    path("profile/", views.profile, name="profile"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.ThrottledPasswordResetView.as_view(form_class=RecipientLanguagePasswordResetForm),
         name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

organisations = [
    path("new/", views.organisation_create, name="organisation_create"),
    path("<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<slug:slug>/size/", views.sme_profile_edit, name="sme_profile_edit"),
    path("<slug:slug>/resubmit/", views.organisation_resubmit, name="organisation_resubmit"),
    path("<slug:slug>/invite/", views.invite, name="organisation_invite"),
    path("<slug:slug>/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("<slug:slug>/members/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("<slug:slug>/members/<int:pk>/role/", views.change_role, name="change_role"),
    path("<slug:slug>/members/<int:pk>/signatory/", views.set_signatory, name="set_signatory"),
    *verification_views.urlpatterns,
]

staff = [
    path("verification/", views.verification_queue, name="verification_queue"),
    path("verification/<slug:slug>/verify/", views.verify, name="verify_organisation"),
    path("verification/<slug:slug>/reject/", views.reject, name="reject_organisation"),
    path("organisations/<slug:slug>/demonstration/", views.toggle_demonstration, name="toggle_demonstration"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("accounts/", include(accounts)),
    path("organisations/", include(organisations)),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_mark_all_read, name="notifications_mark_all_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("staff/", include(staff)),
    path("", include("listings.urls")),
    path("", include("matching.urls")),
    path("", include("matching.funnel_views")),
    path("", include("negotiations.urls")),
    path("api/", include(listings_urls.api_urlpatterns)),
    path("api/", include("negotiations.api")),
    path("i18n/setlang/", site_views.set_language, name="set_language"),  # before Django's, same name
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "marketplace.views.error_403"
handler404 = "marketplace.views.error_404"
handler500 = "marketplace.views.error_500"
