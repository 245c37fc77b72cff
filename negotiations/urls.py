"""Deal-room pages, mounted at the site root by ``marketplace.urls`` (the read API is in ``negotiations.api``)."""

from django.urls import path

from negotiations.views import agreements, deals, disputes, grants, impact, mediators, room

urlpatterns = [
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/open/", deals.deal_open, name="deal_open"),
    path("deals/open/from-request/<int:cid>/", deals.deal_open_from_request, name="deal_open_from_request"),
    path("deals/open-licence/<int:pk>/", grants.open_licence_accept, name="open_licence_accept"),
    path("deals/donation/<int:pk>/", grants.donation_claim, name="donation_claim"),
    path("deals/open-licence/<int:pk>/preview/", grants.open_licence_preview, name="open_licence_preview"),
    path("deals/donation/<int:pk>/preview/", grants.donation_preview, name="donation_preview"),
    path("deals/<int:pk>/", room.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/live/", room.deal_live, name="deal_live"),
    path("deals/<int:pk>/accept/", room.deal_accept, name="deal_accept"),
    path("deals/<int:pk>/withdraw/", room.deal_withdraw_offer, name="deal_withdraw_offer"),
    path("deals/<int:pk>/offers/", room.deal_offer, name="deal_offer"),
    path("deals/<int:pk>/end/", room.deal_end, name="deal_end"),
    path("deals/<int:pk>/messages/", room.message_post, name="deal_message_post"),
    path("deals/<int:pk>/messages/<int:mid>/edit/", room.message_edit, name="deal_message_edit"),
    path("deals/<int:pk>/messages/<int:mid>/delete/", room.message_delete, name="deal_message_delete"),
    path("deals/<int:pk>/attachments/<int:aid>/", deals.attachment_download, name="deal_attachment"),
    path("deals/<int:pk>/agreement/", agreements.agreement_page, name="deal_agreement"),
    path("deals/<int:pk>/agreement/<int:version>.pdf", agreements.agreement_pdf, name="deal_agreement_pdf"),
    path("deals/<int:pk>/agreement/<int:version>/signed.pdf", agreements.agreement_signed_pdf,
         name="deal_agreement_signed_pdf"),
    path("deals/<int:pk>/agreement/<int:version>/sign/", agreements.agreement_sign, name="deal_agreement_sign"),
    path("agreements/failed/", agreements.failed_agreements, name="agreements_failed"),
    path("agreements/<int:aid>/retry/", agreements.agreement_retry, name="agreement_retry"),
    path("agreements/verify/", agreements.agreement_verify, name="agreement_verify"),
    # mediation in the room
    path("deals/<int:pk>/dispute/", disputes.dispute_raise, name="deal_dispute_raise"),
    path("deals/<int:pk>/dispute/<int:did>/withdraw/", disputes.dispute_withdraw, name="deal_dispute_withdraw"),
    path("deals/<int:pk>/dispute/<int:did>/notes/", disputes.dispute_note, name="deal_dispute_note"),
    path("deals/<int:pk>/dispute/<int:did>/propose/", disputes.dispute_propose, name="deal_dispute_propose"),
    path("deals/<int:pk>/dispute/<int:did>/proposals/<int:oid>/accept/", disputes.dispute_accept,
         name="deal_dispute_accept"),
    path("deals/<int:pk>/dispute/<int:did>/close/", disputes.dispute_close, name="deal_dispute_close"),
    # staff and mediators
    path("disputes/", mediators.dispute_queue, name="dispute_queue"),
    path("disputes/mine/", mediators.my_disputes, name="my_disputes"),
    path("disputes/mediators/", mediators.mediator_list, name="mediator_list"),
    path("disputes/mediators/<int:uid>/revoke/", mediators.mediator_revoke, name="mediator_revoke"),
    path("disputes/<int:did>/assign/", mediators.dispute_assign, name="dispute_assign"),
    path("disputes/<int:did>/close/", mediators.dispute_staff_close, name="dispute_staff_close"),
    path("donations/impact/", impact.impact_page, name="donation_impact"),
    path("donations/impact.csv", impact.impact_csv, name="donation_impact_csv"),
    path("donations/impact/<int:year>.pdf", impact.impact_report, name="donation_impact_report"),
]
